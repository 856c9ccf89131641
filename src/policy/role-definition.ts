// The least-privilege Azure custom roles for armbridge's identity, derived grant by grant: each role
// holds one grant's actions and is assigned only where that grant's scopes are, so one grant never
// widens another.
import { createHash } from "node:crypto";
import type { GrantConfig } from "../config/schema.ts";
import { AppError } from "../kernel/errors.ts";
import type { OperationDefinition } from "../operations/operation.ts";
import { PRIVILEGED_NOT_ACTIONS } from "./privileged-types.ts";

export interface RoleDefinition {
  Name: string;
  IsCustom: true;
  Description: string;
  Actions: string[];
  NotActions: string[];
  AssignableScopes: string[];
}

export interface RoleAssignmentPlan {
  /** The `Name` of the role definition assigned. */
  role: string;
  scope: string;
  /** Indexes of the config's grants this assignment serves, and their callers. */
  grants: number[];
  callers: string[];
  /** A resource group scope can be assigned only once the group exists; this is that group. */
  waitsForGroup?: string;
}

export interface RolePlan {
  definitions: RoleDefinition[];
  assignments: RoleAssignmentPlan[];
}

/**
 * One role per distinct action set: grants with the same actions share it, grants with different
 * ones never do. Each role is assigned only at the assignable scopes of the grants that need it.
 */
export function buildRoles(
  grants: readonly GrantConfig[],
  catalog: readonly OperationDefinition[],
  prefix = "armbridge",
): RolePlan {
  const byName = new Map(catalog.map((op) => [op.name, op]));
  type ActionSet = { actions: string[]; grants: number[]; scopes: Map<string, number[]> };
  const sets = new Map<string, ActionSet>();
  const add = (index: number, actions: string[], scopes: string[]) => {
    if (actions.length === 0) return;
    const key = actions.join("\n");
    const set: ActionSet = sets.get(key) ?? { actions, grants: [], scopes: new Map() };
    if (!set.grants.includes(index)) set.grants.push(index);
    for (const scope of scopes) set.scopes.set(scope, [...(set.scopes.get(scope) ?? []), index]);
    sets.set(key, set);
  };
  const sorted = (list: Iterable<string>) => [...new Set(list)].sort((a, b) => a.localeCompare(b));
  grants.forEach((g, index) => {
    const operations = (g.operations.includes("*") ? catalog.map((op) => op.name) : g.operations).flatMap(
      (name) => byName.get(name) ?? [],
    );
    const scopes = g.scopes.map(assignableScope);
    add(
      index,
      sorted(operations.flatMap((op) => op.actions.flatMap((template) => expandAction(template, g)))),
      scopes,
    );
    // Provider metadata is read at the subscription; a role of its own keeps the rest off that scope.
    add(
      index,
      sorted(operations.flatMap((op) => op.subscriptionActions ?? [])),
      scopes.map((s) => s.split("/").slice(0, 3).join("/")),
    );
  });
  const definitions: RoleDefinition[] = [];
  const assignments: RoleAssignmentPlan[] = [];
  for (const set of sets.values()) {
    const name = `${prefix}-${createHash("sha256").update(set.actions.join("\n")).digest("hex").slice(0, 8)}`;
    const scopes = minimalScopes([...set.scopes.keys()]);
    const widened = set.grants.some((i) => grants[i]?.scopes.some((s) => s.includes("*")));
    const wildcard = set.actions.some((a) => a.startsWith("*/"));
    const described = set.grants.map((i) => `${grants[i]?.caller} (grant ${i})`).join(", ");
    definitions.push({
      Name: name,
      IsCustom: true,
      Description:
        `ARM actions armbridge's managed identity needs for the grants of ${described}, assignable only at their scopes.` +
        (widened
          ? " A grant scope with '*' inside a segment is assigned at its parent (e.g. /subscriptions/x/resourceGroups/app-* at /subscriptions/x); armbridge itself still limits each caller to its pattern."
          : ""),
      Actions: set.actions,
      NotActions: wildcard ? [...PRIVILEGED_NOT_ACTIONS] : [],
      AssignableScopes: scopes,
    });
    for (const scope of scopes) {
      const served = [...set.scopes.entries()]
        .filter(
          ([s]) =>
            s.toLowerCase() === scope.toLowerCase() || s.toLowerCase().startsWith(`${scope.toLowerCase()}/`),
        )
        .flatMap(([, indexes]) => indexes);
      // Stryker disable next-line MethodExpression,ArrowFunction,ArithmeticOperator: grants are added in index order, so this only states it
      const indexes = [...new Set(served)].sort((a, b) => a - b);
      const group = groupOf(scope);
      assignments.push({
        role: name,
        scope,
        grants: indexes,
        callers: [...new Set(indexes.map((i) => grants[i]?.caller as string))],
        ...(group ? { waitsForGroup: group } : {}),
      });
    }
  }
  return { definitions, assignments };
}

/**
 * Operations on resources of any type name their actions as templates: `{resourceType}` becomes each
 * of the grant's resource types (`*` without them), `{action}` each provider action it lists.
 */
function expandAction(template: string, grant: GrantConfig): string[] {
  let expanded = [template];
  // Stryker disable next-line ConditionalExpression,StringLiteral: replacing what is not there changes nothing
  if (template.includes("{resourceType}")) {
    const types = grant.resourceTypes ?? ["*"];
    expanded = expanded.flatMap((a) => types.map((t) => a.replace("{resourceType}", t)));
  }
  if (template.includes("{action}")) {
    const names = grant.actions ?? [];
    expanded = expanded.flatMap((a) => names.map((n) => a.replace("{action}", n)));
  }
  return expanded;
}

/** `/subscriptions/x/resourceGroups/y[/…]` -> `/subscriptions/x/resourceGroups/y`; a subscription has none. */
function groupOf(scope: string): string | undefined {
  const parts = scope.split("/");
  return parts.length >= 5 && parts[3]?.toLowerCase() === "resourcegroups"
    ? parts.slice(0, 5).join("/")
    : undefined;
}

/**
 * The scope a grant pattern can be assigned at: the longest prefix that ends at a subscription,
 * resource group or resource (never inside `providers/{namespace}`) and holds no `*`.
 */
export function assignableScope(pattern: string): string {
  const parts = pattern.split("/");
  const star = parts.findIndex((p) => p.includes("*"));
  // Stryker disable next-line EqualityOperator: parts[0] is the empty segment before the leading '/'
  if (star < 0) return pattern;
  // Where an ARM id may end: /subscriptions/x | /resourceGroups/y | /providers/ns/type/name | /type/name.
  // `resourceGroups/{name}` is a pair like a child type and its name.
  const ends = [3];
  // Stryker disable next-line EqualityOperator: one more end lies past the pattern, after the '*'
  for (let i = 3; i < parts.length; ) {
    // Stryker disable next-line OptionalChaining: i is inside parts here
    i += parts[i]?.toLowerCase() === "providers" ? 4 : 2;
    ends.push(i);
  }
  const keep = Math.max(...ends.filter((end) => end <= star));
  if (!Number.isFinite(keep)) {
    throw new AppError(
      "bad_request",
      `grant scope '${pattern}' has '*' in its subscription id; no role assignment scope covers it`,
    );
  }
  return parts.slice(0, keep).join("/");
}

/** Case-insensitively unique, without scopes that another listed scope already contains. */
function minimalScopes(scopes: string[]): string[] {
  const byKey = new Map<string, string>();
  for (const s of scopes) if (!byKey.has(s.toLowerCase())) byKey.set(s.toLowerCase(), s);
  const keys = [...byKey.keys()];
  return keys
    .filter((k) => !keys.some((other) => k.startsWith(`${other}/`)))
    .map((k) => byKey.get(k) as string)
    .sort((a, b) => a.localeCompare(b));
}
