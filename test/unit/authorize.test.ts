import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.ts";
import { parseScope, type Scope } from "../../src/kernel/arm-scope.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { createAuthorizer, grantsOf, rememberingDecisions } from "../../src/policy/authorize.ts";

const SUB = "00000000-0000-0000-0000-000000000001";
const OTHER_SUB = "00000000-0000-0000-0000-000000000002";

const config = parseConfig(
  `
callers:
  - { id: ci, kind: api-key, keys: [{ hash: "sha256:${"a".repeat(64)}" }] }
  - { id: ops, kind: api-key, keys: [{ hash: "sha256:${"b".repeat(64)}" }] }
  - { id: nobody, kind: api-key, keys: [{ hash: "sha256:${"c".repeat(64)}" }] }
grants:
  - caller: ci
    operations: [resourceGroup.ensure]
    scopes: ["/subscriptions/${SUB}/resourceGroups/app-web", "/subscriptions/${SUB}/resourceGroups/team-*"]
  - caller: ops
    operations: ["*"]
    actions: [start, powerOff]
    scopes: ["/subscriptions/${SUB}/resourceGroups/prod-*/providers/Microsoft.Compute/virtualMachines/*"]
`,
  {},
  operationNames,
);
const authorize = createAuthorizer(config.grants);

/** Authorizes a raw scope string the way a request would: parse first, refuse what does not parse. */
function decide(callerId: string, raw: string, action?: string): string {
  const parsed = parseScope(raw);
  if (!parsed.ok) return `unparsable: ${parsed.reason}`;
  const d = authorize(callerId, "resourceGroup.ensure", parsed.scope, action);
  return d.allowed ? "allow" : d.reason;
}

describe("authorize: scope escapes", () => {
  const granted = `/subscriptions/${SUB}/resourceGroups/app-web`;
  it.each([
    ["parent traversal", `${granted}/../prod-db`],
    ["traversal to the subscription", `${granted}/../..`],
    ["dot segment", `/subscriptions/${SUB}/resourceGroups/./prod-db`],
    ["encoded slash", `/subscriptions/${SUB}/resourceGroups/app-web%2F..%2Fprod-db`],
    ["encoded dots", `/subscriptions/${SUB}/resourceGroups/%2e%2e/prod-db`],
    ["double slash", `/subscriptions/${SUB}//resourceGroups/app-web`],
    ["trailing slash", `${granted}/`],
    ["backslash", `/subscriptions/${SUB}/resourceGroups/app-web\\..\\prod-db`],
    ["sibling sharing a prefix", `/subscriptions/${SUB}/resourceGroups/app-web2`],
    ["sibling extending with a dash", `/subscriptions/${SUB}/resourceGroups/app-web-prod`],
    ["sibling as a prefix", `/subscriptions/${SUB}/resourceGroups/app-we`],
    ["case variant of another group", `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/PROD-DB`],
    ["another subscription", `/subscriptions/${OTHER_SUB}/resourceGroups/app-web`],
    ["the subscription itself", `/subscriptions/${SUB}`],
    ["a non-GUID subscription", "/subscriptions/app-web/resourceGroups/app-web"],
    ["a whitespace suffix", `${granted} `],
    ["a NUL byte", `${granted}\u0000`],
    ["a query string", `${granted}?x=1`],
    ["a fragment", `${granted}#x`],
    ["a unicode look-alike", `/subscriptions/${SUB}/resourceGroups/аpp-web`],
    ["a wildcard sent as a scope", `/subscriptions/${SUB}/resourceGroups/*`],
    ["a type without a name", `${granted}/providers/Microsoft.Web/sites`],
    ["a bogus provider namespace", `${granted}/providers/web/sites/x`],
    ["a resource group path without the resourceGroups type", `/subscriptions/${SUB}/app-web/x`],
    ["the team-* pattern crossing a segment", `/subscriptions/${SUB}/resourceGroups/team-a/../x`],
  ])("refuses %s", (_name, raw) => {
    expect(decide("ci", raw)).not.toBe("allow");
  });

  it.each([
    ["the granted group", granted],
    ["a case variant of it", `/SUBSCRIPTIONS/${SUB}/resourcegroups/APP-WEB`],
    ["a resource inside it", `${granted}/providers/Microsoft.Web/sites/web-1`],
    [
      "an extension resource inside it",
      `${granted}/providers/Microsoft.Web/sites/w/providers/Microsoft.Insights/diagnosticSettings/d`,
    ],
    ["a group matching team-*", `/subscriptions/${SUB}/resourceGroups/team-blue`],
  ])("allows %s", (_name, raw) => {
    expect(decide("ci", raw)).toBe("allow");
  });
});

describe("authorize: reasons and actions", () => {
  const scope = (raw: string): Scope => {
    const r = parseScope(raw);
    if (!r.ok) throw new Error(r.reason);
    return r.scope;
  };
  const vm = scope(
    `/subscriptions/${SUB}/resourceGroups/prod-1/providers/Microsoft.Compute/virtualMachines/vm1`,
  );

  it("names what was missing, never another caller's grants", () => {
    expect(authorize("nobody", "resourceGroup.ensure", vm)).toEqual({
      allowed: false,
      reason: "caller 'nobody' has no grants",
    });
    const outside = authorize("ci", "resourceGroup.ensure", vm);
    expect(outside).toEqual({
      allowed: false,
      reason: `caller 'ci' is not granted operation 'resourceGroup.ensure' on scope '${vm.path}'`,
    });
    expect(JSON.stringify(outside)).not.toMatch(/prod-\*|team-\*|ops/);
  });

  it("allows only the actions a grant lists, deny by default", () => {
    expect(authorize("ops", "resource.action", vm, "start")).toMatchObject({ allowed: true });
    expect(authorize("ops", "resource.action", vm, "powerOff")).toMatchObject({ allowed: true });
    expect(authorize("ops", "resource.action", vm, "deallocate")).toEqual({
      allowed: false,
      reason: `caller 'ops' is not granted action 'deallocate' of operation 'resource.action' on scope '${vm.path}'`,
    });
    // A grant without `actions` allows no action at all.
    const group = scope(`/subscriptions/${SUB}/resourceGroups/app-web`);
    expect(authorize("ci", "resourceGroup.ensure", group, "start")).toMatchObject({ allowed: false });
    expect(authorize("ci", "resourceGroup.ensure", group)).toMatchObject({ allowed: true });
  });

  it("lists a caller's own grants with '*' operations spelled out", () => {
    expect(grantsOf(config.grants, "ops", ["a.x", "b.y"])).toEqual([
      { operations: ["a.x", "b.y"], actions: ["start", "powerOff"], scopes: [config.grants[1]?.scopes[0]] },
    ]);
    expect(grantsOf(config.grants, "nobody", operationNames)).toEqual([]);
  });
});

describe("authorize: privileged resource types", () => {
  const grants = parseConfig(
    `
callers:
  - { id: any, kind: api-key, keys: [{ hash: "sha256:${"a".repeat(64)}" }] }
  - { id: named, kind: api-key, keys: [{ hash: "sha256:${"b".repeat(64)}" }] }
grants:
  - { caller: any, operations: ["*"], scopes: ["/subscriptions/${SUB}"] }
  - caller: named
    operations: ["*"]
    resourceTypes: [Microsoft.Authorization/roleAssignments]
    scopes: ["/subscriptions/${SUB}"]
`,
    {},
    operationNames,
  ).grants;
  const decideFor = createAuthorizer(grants);
  const group = `/subscriptions/${SUB}/resourceGroups/app`;

  it.each([
    `${group}/providers/Microsoft.Authorization/roleAssignments/a`,
    `${group}/providers/Microsoft.Web/sites/w/providers/Microsoft.Authorization/roleAssignments/a`,
    `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/d`,
    `${group}/providers/Microsoft.Authorization/locks/l`,
    `${group}/providers/Microsoft.Authorization/policyAssignments/p`,
    `${group}/providers/Microsoft.Resources/deploymentScripts/s`,
    `${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u/federatedIdentityCredentials/f`,
  ])("refuses %s to a grant that names no resource types, though it covers any type", (raw) => {
    const parsed = parseScope(raw);
    if (!parsed.ok) throw new Error(parsed.reason);
    const d = decideFor("any", "resource.createOrUpdate", parsed.scope);
    expect(d).toMatchObject({ allowed: false, reason: expect.stringContaining("on resources of type") });
  });

  it("allows a privileged type only to the grant that names it", () => {
    const parsed = parseScope(`${group}/providers/Microsoft.Authorization/roleAssignments/a`);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(decideFor("named", "resource.createOrUpdate", parsed.scope)).toMatchObject({ allowed: true });
    const site = parseScope(`${group}/providers/Microsoft.Web/sites/w`);
    if (!site.ok) throw new Error(site.reason);
    expect(decideFor("any", "resource.createOrUpdate", site.scope)).toMatchObject({ allowed: true });
    expect(decideFor("named", "resource.createOrUpdate", site.scope)).toMatchObject({ allowed: false });
  });
});

describe("grant scope patterns in the config", () => {
  it.each([
    ["/subscriptions/x/resourceGroups/a", "GUID"],
    [`/subscriptions/${SUB}/resourceGroups/a/`, "trailing"],
    [`/subscriptions/${SUB}/resourceGroups/../a`, "'..'"],
    [`/subscriptions/${SUB}/resourceGroups/a%2Fb`, "'%'"],
    [`/subscriptions/${SUB}/resourceGroups`, "name, not a type"],
    [`/subscriptions/${SUB}/resourceGroups/a/providers/web/sites/x`, "namespace"],
  ])("refuses %s", (pattern, reason) => {
    expect(() =>
      parseConfig(
        `callers: [{ id: ci, kind: api-key, keys: [{ hash: "sha256:${"a".repeat(64)}" }] }]
grants: [{ caller: ci, operations: ["*"], scopes: ["${pattern}"] }]`,
        {},
        operationNames,
      ),
    ).toThrow(new RegExp(`grants\\[0\\]\\.scopes\\[0\\]: .*${reason.replace(/[.*'()[\]]/g, "\\$&")}`));
  });
});

describe("rememberingDecisions", () => {
  const scopeOf = (raw: string): Scope => {
    const parsed = parseScope(raw);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.scope;
  };
  it("answers what the authorizer answers, asking it once per distinct question", () => {
    const asked: string[] = [];
    const remembering = rememberingDecisions((callerId, operation, scope, action) => {
      asked.push(`${callerId} ${operation} ${scope.path} ${action}`);
      return authorize(callerId, operation, scope, action);
    });
    const web = scopeOf(`/subscriptions/${SUB}/resourceGroups/app-web`);
    const other = scopeOf(`/subscriptions/${SUB}/resourceGroups/app-other`);
    const vm = scopeOf(
      `/subscriptions/${SUB}/resourceGroups/prod-1/providers/Microsoft.Compute/virtualMachines/a`,
    );
    for (let i = 0; i < 3; i++) {
      expect(remembering("ci", "resourceGroup.ensure", web)).toEqual(
        authorize("ci", "resourceGroup.ensure", web),
      );
      expect(remembering("ci", "resourceGroup.ensure", other)).toMatchObject({ allowed: false });
      expect(remembering("ops", "vm.action", vm, "start")).toMatchObject({ allowed: true });
      expect(remembering("ops", "vm.action", vm, "restart")).toMatchObject({ allowed: false });
      // Another caller asking the same is another question.
      expect(remembering("nobody", "resourceGroup.ensure", web)).toMatchObject({
        allowed: false,
        reason: "caller 'nobody' has no grants",
      });
    }
    expect(asked).toHaveLength(5);
  });
});
