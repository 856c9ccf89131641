// The Dockerfile, built without Docker (none runs here): its COPY lines, .dockerignore and RUN steps are
// reproduced in a temporary directory, and the result is started as its USER against the emulator.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@armbridge/azure-emulator";
import { validate } from "dockerfile-utils";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { reproduceBuild } from "../helpers/docker-build.ts";
import { provideBaseNode, runImage, waitForStatus } from "../helpers/docker-run.ts";
import { parseDockerfile } from "../helpers/dockerfile.ts";

const DOCKERFILE = readFileSync("Dockerfile", "utf8");
const DOCKERIGNORE = readFileSync(".dockerignore", "utf8");

/** Packages the emulator needs (per the lockfile, transitively) that armbridge's production tree does not. */
function emulatorOnlyPackages(): string[] {
  type Entry = { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
  const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, Entry> };
  const closure = (from: Entry | undefined): Set<string> => {
    const seen = new Set<string>();
    const visit = (entry: Entry | undefined) => {
      for (const name of Object.keys({ ...entry?.dependencies, ...entry?.optionalDependencies })) {
        if (seen.has(name)) continue;
        seen.add(name);
        visit(lock.packages[`node_modules/${name}`]);
      }
    };
    visit(from);
    return seen;
  };
  const product = closure(lock.packages[""]);
  return [...closure(lock.packages["packages/azure-emulator"])].filter((name) => !product.has(name));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

describe("the Dockerfile, reproduced without Docker", () => {
  let emulator: Emulator;
  let work: string;
  let configDir: string;
  let builds = 0;

  beforeAll(async () => {
    emulator = await startEmulator({ subscriptions: ["00000000-0000-0000-0000-000000000001"] });
    work = mkdtempSync(join(tmpdir(), "armbridge-docker-"));
    // The container's user is not root: it must be able to reach the image and the mounted config.
    chmodSync(work, 0o755);
    configDir = join(work, "etc-armbridge");
    mkdirSync(configDir, { mode: 0o755 });
    writeFileSync(join(configDir, "emulator-ca.pem"), emulator.caCertPem, { mode: 0o644 });
    writeFileSync(
      join(configDir, "config.yaml"),
      [
        "azure:",
        `  resourceManagerEndpoint: ${emulator.armUrl}`,
        `  imdsEndpoint: ${emulator.imdsUrl}`,
        // Paths inside the config are not remapped (there is no chroot): this one is the host's.
        `  caCertFile: ${join(configDir, "emulator-ca.pem")}`,
        "",
      ].join("\n"),
      { mode: 0o644 },
    );
  });
  afterAll(async () => {
    await emulator?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });
  // Each build holds two copies of the production dependencies: removed as soon as its test is done,
  // so the removal is spread over the tests instead of piling up in afterAll on a loaded machine. A
  // build (npm ci, copies) takes 60-100 s on a loaded two-core machine, hence the tests' 240 s.
  afterEach(async () => {
    await rm(join(work, `build-${builds - 1}`), { recursive: true, force: true, maxRetries: 5 });
  }, 120_000);

  async function buildAndStart(dockerfile: string, dockerignore: string) {
    const outDir = join(work, `build-${builds++}`);
    mkdirSync(outDir, { mode: 0o755 });
    const image = await reproduceBuild({
      dockerfile,
      dockerignore,
      context: process.cwd(),
      outDir,
      // npm's cache was filled by the project's own `npm ci`; the build needs no network.
      runEnv: { npm_config_prefer_offline: "true", npm_config_update_notifier: "false" },
    });
    provideBaseNode(image);
    const port = await freePort();
    const container = runImage(image, {
      mounts: { "/etc/armbridge": configDir },
      // As the systemd unit runs it: loopback only.
      env: { ARMBRIDGE_HOST: "127.0.0.1", ARMBRIDGE_PORT: String(port) },
    });
    const ready = await waitForStatus(container, `http://127.0.0.1:${port}/readyz`, 200);
    return { image, container, ready };
  }

  it("builds on Node 24 with npm and runs on distroless Node 24, both pinned by digest; passes the linter", () => {
    const { stages } = parseDockerfile(DOCKERFILE);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages.slice(0, -1))
      expect(stage.base).toMatch(/^node:24[\w.-]*@sha256:[0-9a-f]{64}$/);
    // No shell and no npm at run time; the runtime stage therefore has no RUN.
    const runtime = stages.at(-1);
    expect(runtime?.base).toMatch(/^gcr\.io\/distroless\/nodejs24-debian\d+@sha256:[0-9a-f]{64}$/);
    expect(runtime?.instructions.filter((i) => i.keyword === "RUN")).toEqual([]);
    expect(validate(DOCKERFILE)).toEqual([]);
    // The linter does report problems: the same check on a broken line is not empty.
    expect(validate(`${DOCKERFILE}\nEXPOSE not-a-port\n`)).not.toEqual([]);
  });

  // The builds install and copy the production dependencies, OpenTelemetry's SDK among them: slow under load.
  it("builds, runs as its non-root user, is ready against the emulator, passes its HEALTHCHECK, drains on SIGTERM", async () => {
    const { image, container, ready } = await buildAndStart(DOCKERFILE, DOCKERIGNORE);
    try {
      expect(ready, container.output.join("")).toBe(200);
      expect(image.user).toEqual({ uid: 10001, gid: 10001 });
      // Only the data volume is the user's: the database was created there, owned by it.
      const db = statSync(join(image.rootfs, "var/lib/armbridge/armbridge.db"));
      expect(db.uid).toBe(10001);
      expect(statSync(join(image.rootfs, "app/src/main.ts")).uid).not.toBe(10001);
      expect(image.volumes).toEqual(["/var/lib/armbridge"]);
      expect(await container.healthcheck()).toBe(0);
      // What the image holds is what the runtime needs, no tests or deployment files.
      expect(() => statSync(join(image.rootfs, "app/test"))).toThrow();
      expect(() => statSync(join(image.rootfs, "app/node_modules/vitest"))).toThrow();
      // Node's compile cache is on the data volume, so it survives a restart of the container.
      expect(statSync(join(image.rootfs, "var/lib/armbridge/compile-cache")).uid).toBe(10001);
      // The emulator is a dev dependency: neither it nor anything only it needs is in the image.
      expect(() => statSync(join(image.rootfs, "app/packages"))).toThrow();
      expect(() => statSync(join(image.rootfs, "app/src/emulator"))).toThrow();
      expect(existsSync(join(image.rootfs, "app/node_modules/@armbridge/azure-emulator"))).toBe(false);
      const emulatorOnly = emulatorOnlyPackages();
      expect(emulatorOnly).toContain("@peculiar/x509");
      expect(emulatorOnly.filter((name) => existsSync(join(image.rootfs, "app/node_modules", name)))).toEqual(
        [],
      );
      expect(emulator.stats().imdsTokenRequests).toBeGreaterThan(0);
    } finally {
      container.child.kill("SIGTERM");
    }
    expect(await container.exit).toBe(0);
    expect(await container.healthcheck()).not.toBe(0);
  }, 240_000);

  it("fails when .dockerignore leaves out a source file the runtime imports", async () => {
    const { container, ready } = await buildAndStart(DOCKERFILE, `${DOCKERIGNORE}\nsrc/jobs/waiter.ts\n`);
    expect(ready).toBe("exited");
    expect(await container.exit).not.toBe(0);
    expect(container.output.join("")).toMatch(/ERR_MODULE_NOT_FOUND[\s\S]*waiter/);
  }, 240_000);

  it("fails when the runtime stage does not copy the production dependencies", async () => {
    const withoutDeps = DOCKERFILE.replace(/^COPY --from=deps \/app\/node_modules .*$/m, "");
    expect(withoutDeps).not.toBe(DOCKERFILE);
    const { container, ready } = await buildAndStart(withoutDeps, DOCKERIGNORE);
    expect(ready).toBe("exited");
    expect(container.output.join("")).toMatch(/Cannot find package/);
  }, 240_000);
});
