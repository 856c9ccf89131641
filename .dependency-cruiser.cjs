// The import rules of src/ (docs/architecture.md draws them): arrows point down the data path
// ingress -> callers -> triggers -> policy -> jobs -> operations -> azure, or sideways to the rooms
// beside it (config, telemetry, audit) and to kernel/, which everyone may use. `npm run lint` runs this.
// CommonJS because dependency-cruiser loads its config with require().

/** The data path, top to bottom; a room may import the rooms after it, never those before it. */
const DATA_PATH = ["ingress", "callers", "triggers", "policy", "jobs", "operations", "azure"];
/** Rooms every domain room may use; each imports only kernel/ and the beside rooms listed before it. */
const BESIDE = ["config", "telemetry", "audit"];
const DOMAIN = [...BESIDE, ...DATA_PATH.slice(1)];
const rooms = (names) => `^src/(${names.join("|")})/`;
/** The composition roots and entry points: they wire every room and are imported by none. */
const ROOTS = "^src/([^/]+[.]ts$|cli/|openapi/)";
/** The local Azure emulator, a workspace package and dev dependency (packages/azure-emulator). */
const EMULATOR = "azure-emulator/";

const upward = DATA_PATH.slice(1).map((room, i) => ({
  name: `${room}-not-up`,
  comment: `${room}/ is below ${DATA_PATH.slice(0, i + 1).join(", ")} on the data path and must not import them`,
  severity: "error",
  from: { path: `^src/${room}/` },
  to: { path: rooms(DATA_PATH.slice(0, i + 1)) },
}));

const beside = BESIDE.map((room, i) => ({
  name: `${room}-beside`,
  comment: `${room}/ sits beside the data path: it imports only kernel/${i ? ` and ${BESIDE.slice(0, i).join(", ")}` : ""}`,
  severity: "error",
  from: { path: `^src/${room}/` },
  to: { path: "^src/", pathNot: rooms(["kernel", ...BESIDE.slice(0, i + 1)]) },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "A cycle means two rooms each reach back into the other; split out what they share",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "kernel-imports-nothing",
      comment: "kernel/ is what every room may use, so it imports nothing of src/ but itself",
      severity: "error",
      from: { path: "^src/kernel/" },
      to: { path: "^src/", pathNot: "^src/kernel/" },
    },
    ...beside,
    ...upward,
    {
      name: "domain-not-edge",
      comment: "Domain code knows nothing of HTTP: it throws AppError (kernel/), the edge maps it",
      severity: "error",
      from: { path: rooms(["kernel", ...DOMAIN]) },
      to: { path: [rooms(["http", "ingress"]), ROOTS] },
    },
    {
      name: "http-not-ingress",
      comment: "The HTTP edge's shared parts serve ingress/; only app.ts wires both",
      severity: "error",
      from: { path: "^src/http/" },
      to: { path: "^src/ingress/" },
    },
    {
      name: "ingress-not-operator-routes",
      comment: "Ingress uses the edge's builders (errors, responses, schemas), not another endpoint's routes",
      severity: "error",
      from: { path: "^src/ingress/" },
      to: { path: "^src/http/[^/]*-routes[.]ts$" },
    },
    {
      name: "job-engines-apart",
      comment: "Two engines behind one contract: what they share belongs in jobs/ itself",
      severity: "error",
      from: { path: "^src/jobs/(sqlite|azure-storage)/" },
      // $1 is the importing engine's folder: it may import itself, not the other engine.
      to: { path: "^src/jobs/(sqlite|azure-storage)/", pathNot: "^src/jobs/$1/" },
    },
    {
      name: "no-emulator-in-product",
      comment: "The emulator is a dev tool, never part of the product or its image",
      severity: "error",
      from: { path: "^src/" },
      to: { path: EMULATOR },
    },
  ],
  options: {
    // dependency-cruiser cannot use TypeScript 7's compiler API yet; swc parses the same syntax.
    parser: "swc",
    // The emulator is seen as a dependency (so the rules above can refuse it) but not cruised itself.
    doNotFollow: { path: ["node_modules", "azure-emulator/"] },
    moduleSystems: ["es6"],
  },
};
