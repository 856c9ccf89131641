// The policy's answers at their edges: each refusal's exact reason, where a role is assigned, what a
// role's description says, and how far redaction reaches into a value. Everything is built inside the
// tests, so a change to how it is built is seen too (mutation testing, docs/mutation.md).
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.ts";
import type { GrantConfig } from "../../src/config/schema.ts";
import { parseScope, type Scope } from "../../src/kernel/arm-scope.ts";
import { isAppError } from "../../src/kernel/errors.ts";
import { authorizeResourceChange, createAuthorizer, grantsOf } from "../../src/policy/authorize.ts";
import { assignableScope, buildRoles } from "../../src/policy/role-definition.ts";
import { redactDeep } from "../../src/telemetry/redact.ts";
import { actionsOnlyOperation } from "../helpers/role-operations.ts";

const SUB = "00000000-0000-0000-0000-000000000001";
const RG = `/subscriptions/${SUB}/resourceGroups`;
const op = actionsOnlyOperation;
const catalog = [
  op("group.write", ["Microsoft.Resources/subscriptions/resourceGroups/write"]),
  op("tags.write", ["Microsoft.Resources/tags/write"]),
  op(
    "resource.action",
    ["{resourceType}/{action}/action"],
    ["Microsoft.Resources/subscriptions/providers/read"],
  ),
];
const grantsOfYaml = (yaml: string): GrantConfig[] =>
  parseConfig(
    `callers:
  - { id: a, kind: api-key, keys: [{ hash: "sha256:${"a".repeat(64)}" }] }
  - { id: b, kind: api-key, keys: [{ hash: "sha256:${"b".repeat(64)}" }] }
grants:
${yaml}`,
    {},
    catalog.map((o) => o.name),
  ).grants;
const scope = (id: string): Scope => {
  const parsed = parseScope(id);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.scope;
};

describe("authorization refusals", () => {
  const grants = () =>
    grantsOfYaml(`  - { caller: a, operations: [tags.write], scopes: ["${RG}/app"] }
  - { caller: b, operations: [resource.action], actions: [start], resourceTypes: [Microsoft.Compute/virtualMachines, Microsoft.Web/sites], scopes: ["${RG}/app"] }`);

  it("names the operation a caller is not granted at all", () => {
    expect(createAuthorizer(grants())("a", "group.write", scope(`${RG}/app`))).toEqual({
      allowed: false,
      reason: "caller 'a' is not granted operation 'group.write'",
    });
  });

  it("allows any of a grant's resource types, and names a refused type as the request wrote it", () => {
    const authorize = createAuthorizer(grants());
    const site = scope(`${RG}/app/providers/Microsoft.Web/sites/web-1`);
    expect(authorize("b", "resource.action", site, "start")).toEqual({ allowed: true, grantIndex: 1 });
    const disk = scope(`${RG}/app/providers/Microsoft.Compute/Disks/d-1`);
    expect(authorize("b", "resource.action", disk, "start")).toEqual({
      allowed: false,
      reason:
        "caller 'b' is not granted operation 'resource.action' on resources of type 'Microsoft.Compute/Disks'",
    });
  });

  it("checks each resource a change names, and refuses an id it cannot parse", () => {
    const authorize = createAuthorizer(grants());
    expect(authorizeResourceChange(authorize, "a", "tags.write", `${RG}/app`)).toBeUndefined();
    expect(authorizeResourceChange(authorize, "a", "tags.write", `${RG}/other`)).toBe(
      `caller 'a' is not granted operation 'tags.write' on scope '${RG}/other'`,
    );
    expect(authorizeResourceChange(authorize, "a", "tags.write", "")).toMatch(
      /^'\(unnamed resource\)' cannot be checked: .+/,
    );
    expect(authorizeResourceChange(authorize, "a", "tags.write", "/nowhere")).toMatch(
      /^'\/nowhere' cannot be checked: .+/,
    );
  });

  it("shows a caller its grants with their actions", () => {
    expect(grantsOf(grants(), "b", ["x"])).toEqual([
      { operations: ["resource.action"], actions: ["start"], scopes: [`${RG}/app`] },
    ]);
    expect(grantsOf(grants(), "a", ["x"])).toEqual([{ operations: ["tags.write"], scopes: [`${RG}/app`] }]);
  });
});

describe("role plans", () => {
  it("describes each role by the grants it serves, and says so when a pattern was widened", () => {
    const plan = buildRoles(
      grantsOfYaml(`  - { caller: a, operations: [group.write], scopes: ["${RG}/app", "${RG}/web-*"] }`),
      catalog,
      "bridge",
    );
    expect(plan.definitions[0]?.Name).toMatch(/^bridge-[0-9a-f]{8}$/);
    expect(plan.definitions[0]?.Description).toBe(
      "ARM actions armbridge's managed identity needs for the grants of a (grant 0), assignable only at their scopes. A grant scope with '*' inside a segment is assigned at its parent (e.g. /subscriptions/x/resourceGroups/app-* at /subscriptions/x); armbridge itself still limits each caller to its pattern.",
    );
  });

  it("spells out every operation for '*', and a provider action only for the actions a grant lists", () => {
    const plan = buildRoles(
      grantsOfYaml(
        `  - { caller: a, operations: ["*"], resourceTypes: [Microsoft.Web/sites], scopes: ["${RG}/app"] }`,
      ),
      catalog,
    );
    expect(plan.definitions.map((d) => d.Actions)).toEqual([
      ["Microsoft.Resources/subscriptions/resourceGroups/write", "Microsoft.Resources/tags/write"],
      ["Microsoft.Resources/subscriptions/providers/read"],
    ]);
    // Provider metadata is read at the subscription, in a role of its own.
    expect(plan.assignments.map((a) => [a.scope, a.waitsForGroup])).toEqual([
      [`${RG}/app`, `${RG}/app`],
      [`/subscriptions/${SUB}`, undefined],
    ]);
  });

  it("assigns one role once at a scope however it is cased, serving every grant inside it", () => {
    const plan = buildRoles(
      grantsOfYaml(`  - { caller: a, operations: [tags.write], scopes: ["${RG}/zeta", "${RG}/App"] }
  - { caller: b, operations: [tags.write], scopes: ["${RG}/app", "${RG}/Alpha/providers/Microsoft.Web/sites/s"] }`),
      catalog,
    );
    expect(plan.definitions[0]?.AssignableScopes).toEqual([
      `${RG}/Alpha/providers/Microsoft.Web/sites/s`,
      `${RG}/App`,
      `${RG}/zeta`,
    ]);
    expect(plan.assignments.map((a) => [a.scope, a.grants, a.callers, a.waitsForGroup])).toEqual([
      [`${RG}/Alpha/providers/Microsoft.Web/sites/s`, [1], ["b"], `${RG}/Alpha`],
      [`${RG}/App`, [0, 1], ["a", "b"], `${RG}/App`],
      [`${RG}/zeta`, [0], ["a"], `${RG}/zeta`],
    ]);
    expect(plan.definitions[0]?.Description).toContain(
      "for the grants of a (grant 0), b (grant 1), assignable",
    );
  });

  it("serves every grant whose scope lies inside the one a role is assigned at", () => {
    const plan = buildRoles(
      grantsOfYaml(`  - { caller: a, operations: [tags.write], scopes: ["/subscriptions/${SUB}"] }
  - { caller: b, operations: [tags.write], scopes: ["${RG}/Inner/providers/Microsoft.Web/sites/s"] }`),
      catalog,
    );
    expect(plan.assignments.map((a) => [a.scope, a.grants, a.callers])).toEqual([
      [`/subscriptions/${SUB}`, [0, 1], ["a", "b"]],
    ]);
  });

  it("names a grant once when its actions and its subscription's are the same set, and keeps sets apart", () => {
    const own = [
      op("same.twice", ["Microsoft.Web/sites/read"], ["Microsoft.Web/sites/read"]),
      op("split.one", ["A.B/x", "A.B/y"]),
      op("split.two", ["A.B/xA.B/y"]),
    ];
    const grants = parseConfig(
      `callers:
  - { id: a, kind: api-key, keys: [{ hash: "sha256:${"a".repeat(64)}" }] }
grants:
  - { caller: a, operations: [same.twice], scopes: ["${RG}/app"] }
  - { caller: a, operations: [split.one], scopes: ["${RG}/app"] }
  - { caller: a, operations: [split.two], scopes: ["${RG}/app"] }`,
      {},
      own.map((o) => o.name),
    ).grants;
    const plan = buildRoles(grants, own);
    expect(plan.definitions.map((d) => d.Actions)).toEqual([
      ["Microsoft.Web/sites/read"],
      ["A.B/x", "A.B/y"],
      ["A.B/xA.B/y"],
    ]);
    expect(plan.definitions[0]?.Description).toContain("for the grants of a (grant 0), assignable");
  });

  it("waits for no group at a resource outside any group", () => {
    const at = `/subscriptions/${SUB}/providers/Microsoft.Web/sites/s`;
    const plan = buildRoles(
      grantsOfYaml(`  - { caller: a, operations: [tags.write], scopes: ["${at}"] }`),
      catalog,
    );
    expect(plan.assignments.map((a) => [a.scope, a.waitsForGroup])).toEqual([[at, undefined]]);
  });

  it("assigns a pattern at the longest id it may end with before the '*'", () => {
    expect(assignableScope(`${RG}/rg/*`)).toBe(`${RG}/rg`);
    expect(assignableScope(`/subscriptions/${SUB}/providers/Microsoft.Web/sites/s-*`)).toBe(
      `/subscriptions/${SUB}`,
    );
    expect(assignableScope(`${RG}/rg/providers/Microsoft.Sql/servers/s/databases/d/backups/b-*`)).toBe(
      `${RG}/rg/providers/Microsoft.Sql/servers/s/databases/d`,
    );
  });

  it("refuses a wildcard subscription as a bad request, naming the pattern", () => {
    const error = (() => {
      try {
        return assignableScope("/subscriptions/*/resourceGroups/a");
      } catch (err) {
        return err;
      }
    })();
    expect(isAppError(error) && [error.code, error.detail]).toEqual([
      "bad_request",
      "grant scope '/subscriptions/*/resourceGroups/a' has '*' in its subscription id; no role assignment scope covers it",
    ]);
  });
});

describe("redaction of values", () => {
  it("leaves empty credentials as they are and masks credentials inside arrays", () => {
    expect(
      redactDeep({ token: null, secret: undefined, n: 1, list: ["Bearer abc", { password: "p" }] }),
    ).toEqual({
      token: null,
      secret: undefined,
      n: 1,
      list: ["Bearer [redacted]", { password: "[redacted]" }],
    });
  });

  it("copies only what it masks, and never trusts an object's own toJSON", () => {
    const clean = { requestId: "r1", scopes: ["/subscriptions/s"], caller: { id: "ci" } };
    expect(redactDeep(clean)).toBe(clean);
    const bare: Record<string, unknown> = Object.assign(Object.create(null), { requestId: "r1" });
    expect(redactDeep(bare)).toBe(bare);
    const dirty = { requestId: "r1", nested: { list: ["ok", "Bearer abc"] }, caller: { id: "ci" } };
    const masked = redactDeep(dirty) as typeof dirty;
    expect(masked).toEqual({
      requestId: "r1",
      nested: { list: ["ok", "Bearer [redacted]"] },
      caller: { id: "ci" },
    });
    expect(dirty.nested.list[1]).toBe("Bearer abc");
    expect(masked.caller).toBe(dirty.caller);
    // A class whose toJSON would write its hidden state: copied to its own fields, checked.
    class Headers {
      #raw = { authorization: "Bearer abc" };
      name = "h";
      toJSON() {
        return this.#raw;
      }
    }
    const headers = new Headers();
    const copied = redactDeep({ headers }) as { headers: unknown };
    expect(copied.headers).not.toBe(headers);
    expect(JSON.stringify(copied)).toBe('{"headers":{"name":"h"}}');
  });

  it("masks credentials nine objects deep, and ends on a value that contains itself", () => {
    const deep: Record<string, unknown> = { password: "p" };
    let outer = deep;
    for (let i = 0; i < 8; i++) outer = { inner: outer };
    let masked = redactDeep(outer) as Record<string, unknown>;
    for (let i = 0; i < 8; i++) masked = masked.inner as Record<string, unknown>;
    expect(masked).toEqual({ password: "[redacted]" });

    const cycle: Record<string, unknown> = { name: "x" };
    cycle.self = cycle;
    cycle.list = [cycle];
    expect(() => redactDeep(cycle)).not.toThrow();
  });
});
