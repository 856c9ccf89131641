import { describe, expect, it } from "vitest";
import { runRolesCommand } from "../../src/cli/roles.ts";
import { loadProcessConfig, parseConfig as parse } from "../../src/config/load.ts";
import { operationNames, catalog as realCatalog } from "../../src/operations/catalog.ts";
import { assignableScope, buildRoles, type RolePlan } from "../../src/policy/role-definition.ts";
import { actionsOnlyOperation } from "../helpers/role-operations.ts";

const SUB = "00000000-0000-0000-0000-000000000001";
const SUB2 = "00000000-0000-0000-0000-000000000002";

function roles(argv: string[]) {
  let out = "";
  let err = "";
  const code = runRolesCommand(
    argv,
    (t) => (out += t),
    (t) => (err += t),
  );
  return { code, out, err };
}

describe("armbridge roles", () => {
  it("prints the roles and assignments config/local.yaml needs, without its secrets set", () => {
    const { code, out } = roles(["--config", "config/local.yaml"]);
    expect(code).toBe(0);
    const plan = JSON.parse(out) as RolePlan;
    expect(plan.definitions).toHaveLength(1);
    const [role] = plan.definitions;
    expect(role).toMatchObject({
      Name: expect.stringMatching(/^armbridge-[0-9a-f]{8}$/),
      IsCustom: true,
      Actions: ["Microsoft.Resources/subscriptions/resourceGroups/write"],
      NotActions: [],
      AssignableScopes: [`/subscriptions/${SUB}`],
    });
    expect(role?.Description).toContain("/subscriptions/x/resourceGroups/app-* at /subscriptions/x");
    expect(plan.assignments).toEqual([
      { role: role?.Name, scope: `/subscriptions/${SUB}`, grants: [0], callers: ["demo-ci"] },
    ]);
  });

  it("takes --name as the roles' prefix, prints Bicep parameters, and refuses what it cannot use with exit 2", () => {
    const named = JSON.parse(roles(["--config", "config/local.yaml", "--name", "prod"]).out) as RolePlan;
    expect(named.definitions[0]?.Name).toMatch(/^prod-[0-9a-f]{8}$/);
    const bicep = JSON.parse(roles(["--config", "config/example.yaml", "--format", "bicep-parameters"]).out);
    const plan = JSON.parse(roles(["--config", "config/example.yaml"]).out) as RolePlan;
    expect(bicep.parameters.roleDefinitions.value.map((d: { name: string }) => d.name)).toEqual(
      plan.definitions.map((d) => d.Name),
    );
    expect(bicep.parameters.roleAssignments.value).toEqual(
      plan.assignments.map((a) => ({ role: a.role, scope: a.scope })),
    );
    expect(roles(["--config", "config/local.yaml", "--format", "xml"]).code).toBe(2);
    const missing = roles(["--config", "does/not/exist.yaml"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("cannot read the file");
  });

  it("never makes one grant's action assignable at another grant's scope (config/example.yaml)", () => {
    const { config } = loadProcessConfig(["--config", "config/example.yaml"], operationNames, {
      secrets: "placeholder",
    });
    const plan = buildRoles(config.grants, realCatalog);
    const actionsOf = (role: string) => plan.definitions.find((d) => d.Name === role)?.Actions ?? [];
    /** Every (action, scope) a plan makes assignable, lowercased. */
    const pairs = (p: RolePlan) =>
      new Set(
        p.assignments.flatMap((a) =>
          (p.definitions.find((d) => d.Name === a.role)?.Actions ?? []).map((x) =>
            `${x} @ ${a.scope}`.toLowerCase(),
          ),
        ),
      );
    // Together the grants make assignable exactly what each of them would alone: nothing crosses over.
    const alone = new Set(config.grants.flatMap((g) => [...pairs(buildRoles([g], realCatalog))]));
    expect([...pairs(plan)].sort()).toEqual([...alone].sort());
    const lab = `/subscriptions/${SUB}/resourceGroups/lab-vms`;
    const vmStart = plan.assignments.filter((a) =>
      actionsOf(a.role).includes("Microsoft.Compute/virtualMachines/start/action"),
    );
    expect(vmStart.map((a) => a.scope)).toEqual([lab]);
    expect(vmStart[0]?.waitsForGroup).toBe(lab);
    // The pipeline's template writes storage accounts and web sites: its role says so.
    const pipeline = plan.assignments.find((a) => a.callers.includes("web-pipeline"));
    expect(actionsOf(pipeline?.role ?? "")).toEqual(
      expect.arrayContaining(["Microsoft.Storage/storageAccounts/write", "Microsoft.Web/sites/write"]),
    );
    expect(actionsOf(pipeline?.role ?? "")).not.toContain("Microsoft.Compute/virtualMachines/start/action");
  });

  it("keeps role assignments and deployment scripts out of a role whose actions name any type", () => {
    const grants = parse(
      `
callers:
  - { id: a, kind: api-key, keys: [{ hash: "sha256:${"a".repeat(64)}" }] }
grants:
  - { caller: a, operations: [deployment.create], scopes: ["/subscriptions/${SUB}/resourceGroups/app"] }
`,
      {},
      operationNames,
    ).grants;
    const [role] = buildRoles(grants, realCatalog).definitions;
    expect(role?.Actions).toContain("*/write");
    expect(role?.NotActions).toEqual([
      "Microsoft.Authorization/*/Write",
      "Microsoft.Authorization/*/Delete",
      "Microsoft.Resources/deploymentScripts/write",
      "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
    ]);
  });
});

describe("buildRoles", () => {
  const op = actionsOnlyOperation;
  const catalog = [
    op("resourceGroup.ensure", ["Microsoft.Resources/subscriptions/resourceGroups/write"]),
    op("tags.merge", ["Microsoft.Resources/tags/write", "Microsoft.Resources/tags/read"]),
    op("vm.start", [
      "Microsoft.Compute/virtualMachines/start/action",
      "Microsoft.Compute/virtualMachines/read",
    ]),
    op("deployment.create", ["Microsoft.Resources/deployments/write"]),
  ];
  const grants = parse(
    `
callers:
  - { id: a, kind: api-key, keys: [{ hash: "sha256:${"a".repeat(64)}" }] }
  - { id: b, kind: api-key, keys: [{ hash: "sha256:${"b".repeat(64)}" }] }
grants:
  - { caller: a, operations: [resourceGroup.ensure, tags.merge], scopes: ["/subscriptions/${SUB}/resourceGroups/app"] }
  - { caller: b, operations: [vm.start, tags.merge], scopes: ["/subscriptions/${SUB}/resourceGroups/APP/providers/Microsoft.Compute/virtualMachines/vm1"] }
`,
    {},
    catalog.map((o) => o.name),
  ).grants;

  it("gives each grant its own role with exactly its actions, assigned only at its scopes", () => {
    const plan = buildRoles(grants, catalog);
    expect(plan.definitions.map((d) => d.Actions)).toEqual([
      [
        "Microsoft.Resources/subscriptions/resourceGroups/write",
        "Microsoft.Resources/tags/read",
        "Microsoft.Resources/tags/write",
      ],
      [
        "Microsoft.Compute/virtualMachines/read",
        "Microsoft.Compute/virtualMachines/start/action",
        "Microsoft.Resources/tags/read",
        "Microsoft.Resources/tags/write",
      ],
    ]);
    // The VM lies inside the group, but b's role is assigned at the VM and a's at the group, never crosswise.
    expect(plan.assignments.map((a) => [a.callers, a.scope])).toEqual([
      [["a"], `/subscriptions/${SUB}/resourceGroups/app`],
      [["b"], `/subscriptions/${SUB}/resourceGroups/APP/providers/Microsoft.Compute/virtualMachines/vm1`],
    ]);
    expect(plan.definitions[0]?.Description).not.toContain("'*'");
  });

  it("shares one role between grants with the same actions, and lists each scope once", () => {
    const same = parse(
      `
callers:
  - { id: a, kind: api-key, keys: [{ hash: "sha256:${"a".repeat(64)}" }] }
  - { id: b, kind: api-key, keys: [{ hash: "sha256:${"b".repeat(64)}" }] }
grants:
  - { caller: a, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUB}/resourceGroups/web-*", "/subscriptions/${SUB}/resourceGroups/Shared"] }
  - { caller: b, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUB2}/resourceGroups/ops"] }
`,
      {},
      catalog.map((o) => o.name),
    ).grants;
    const plan = buildRoles(same, catalog);
    expect(plan.definitions).toHaveLength(1);
    // /resourceGroups/Shared is inside /subscriptions/SUB, which web-* already needs.
    expect(plan.definitions[0]?.AssignableScopes).toEqual([
      `/subscriptions/${SUB}`,
      `/subscriptions/${SUB2}/resourceGroups/ops`,
    ]);
    expect(plan.assignments.map((a) => [a.scope, a.grants, a.waitsForGroup])).toEqual([
      [`/subscriptions/${SUB}`, [0], undefined],
      [`/subscriptions/${SUB2}/resourceGroups/ops`, [1], `/subscriptions/${SUB2}/resourceGroups/ops`],
    ]);
  });

  it.each([
    [`/subscriptions/${SUB}/resourceGroups/app-*`, `/subscriptions/${SUB}`],
    [`/subscriptions/${SUB}/resourceGroups/*`, `/subscriptions/${SUB}`],
    [
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-*`,
      `/subscriptions/${SUB}/resourceGroups/rg`,
    ],
    [
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/*/x`,
      `/subscriptions/${SUB}/resourceGroups/rg`,
    ],
    [
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/s/databases/db-*`,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/s`,
    ],
    [`/subscriptions/${SUB}/resourceGroups/rg`, `/subscriptions/${SUB}/resourceGroups/rg`],
  ])("assigns %s at %s", (pattern, scope) => {
    expect(assignableScope(pattern)).toBe(scope);
  });

  it("refuses a wildcard subscription, which no assignable scope covers", () => {
    expect(() => assignableScope("/subscriptions/*/resourceGroups/a")).toThrow(/subscription id/);
  });
});
