import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { runRolesCommand } from "../../src/cli/roles.ts";
import { parseConfig } from "../../src/config/load.ts";
import { defineOperation } from "../../src/operations/operation.ts";
import { assignableScope, buildRoleDefinition } from "../../src/policy/role-definition.ts";

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
  it("prints exactly the actions and scopes config/local.yaml needs, without its secrets set", () => {
    const { code, out } = roles(["--config", "config/local.yaml"]);
    expect(code).toBe(0);
    const role = JSON.parse(out);
    expect(role).toMatchObject({
      Name: "armbridge",
      IsCustom: true,
      Actions: ["Microsoft.Resources/subscriptions/resourceGroups/write"],
      NotActions: [],
      AssignableScopes: [`/subscriptions/${SUB}`],
    });
    expect(Object.keys(role)).toEqual([
      "Name",
      "IsCustom",
      "Description",
      "Actions",
      "NotActions",
      "AssignableScopes",
    ]);
    expect(role.Description).toContain("/subscriptions/x/resourceGroups/app-* at /subscriptions/x");
  });

  it("takes --name and refuses a config it cannot read with exit code 2", () => {
    expect(JSON.parse(roles(["--config", "config/local.yaml", "--name", "armbridge-prod"]).out).Name).toBe(
      "armbridge-prod",
    );
    const missing = roles(["--config", "does/not/exist.yaml"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("cannot read the file");
  });

  it("unions the actions of several grants and assigns each at its narrowest whole scope", () => {
    const dir = mkdtempSync(join(tmpdir(), "armbridge-roles-"));
    const path = join(dir, "several.yaml");
    writeFileSync(
      path,
      `
callers:
  - { id: web, kind: github-webhook, secrets: [{ env: UNSET_IN_TESTS }] }
  - { id: ops, kind: api-key, keys: [{ hash: "sha256:${"a".repeat(64)}" }] }
grants:
  - caller: web
    operations: [resourceGroup.ensure]
    scopes: ["/subscriptions/${SUB}/resourceGroups/web-*", "/subscriptions/${SUB}/resourceGroups/Shared"]
  - caller: ops
    operations: [resourceGroup.ensure]
    scopes: ["/subscriptions/${SUB2}/resourceGroups/ops/providers/Microsoft.Compute/virtualMachines/vm-*"]
`,
    );
    const role = JSON.parse(roles(["--config", path]).out);
    expect(role.Actions).toEqual(["Microsoft.Resources/subscriptions/resourceGroups/write"]);
    // /resourceGroups/Shared is inside /subscriptions/SUB, which web-* already needs.
    expect(role.AssignableScopes).toEqual([
      `/subscriptions/${SUB}`,
      `/subscriptions/${SUB2}/resourceGroups/ops`,
    ]);
  });
});

describe("buildRoleDefinition", () => {
  const op = (name: string, actions: string[]) =>
    defineOperation({
      name,
      summary: name,
      kind: "write",
      input: z.unknown(),
      example: {},
      actions,
      scope: () => "/",
      execute: async () => null,
    });
  const catalog = [
    op("resourceGroup.ensure", ["Microsoft.Resources/subscriptions/resourceGroups/write"]),
    op("tags.merge", ["Microsoft.Resources/tags/write", "Microsoft.Resources/tags/read"]),
    op("vm.start", [
      "Microsoft.Compute/virtualMachines/start/action",
      "Microsoft.Compute/virtualMachines/read",
    ]),
    op("deployment.create", ["Microsoft.Resources/deployments/write"]),
  ];
  const grants = parseConfig(
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

  it("lists exactly the union of the granted operations' actions, sorted, and nothing for ungranted ones", () => {
    const role = buildRoleDefinition(grants, catalog);
    expect(role.Actions).toEqual([
      "Microsoft.Compute/virtualMachines/read",
      "Microsoft.Compute/virtualMachines/start/action",
      "Microsoft.Resources/subscriptions/resourceGroups/write",
      "Microsoft.Resources/tags/read",
      "Microsoft.Resources/tags/write",
    ]);
    expect(role.Actions).not.toContain("Microsoft.Resources/deployments/write");
    // The VM lies inside the resource group (case-insensitively), so only the group is listed.
    expect(role.AssignableScopes).toEqual([`/subscriptions/${SUB}/resourceGroups/app`]);
    expect(role.Description).not.toContain("'*'");
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
