// The least-privilege Azure custom role for armbridge's identity, derived from the configured grants.
import type { GrantConfig } from "../config/schema.ts";
import { AppError } from "../kernel/errors.ts";
import type { OperationDefinition } from "../operations/operation.ts";

export interface RoleDefinition {
  Name: string;
  IsCustom: true;
  Description: string;
  Actions: string[];
  NotActions: string[];
  AssignableScopes: string[];
}

/**
 * Exactly the ARM actions of the operations some grant names, assignable at the scopes the grants
 * name. A pattern with `*` inside a segment cannot be a role assignment scope, so it is assigned at
 * its parent: `/subscriptions/x/resourceGroups/app-*` becomes `/subscriptions/x`.
 */
export function buildRoleDefinition(
  grants: readonly GrantConfig[],
  catalog: readonly OperationDefinition[],
  name = "armbridge",
): RoleDefinition {
  const operations = new Set(
    grants.flatMap((g) => (g.operations.includes("*") ? catalog.map((op) => op.name) : g.operations)),
  );
  const byName = new Map(catalog.map((op) => [op.name, op]));
  const actions = new Set(
    grants.flatMap((g) =>
      (g.operations.includes("*") ? catalog.map((op) => op.name) : g.operations).flatMap((name) =>
        (byName.get(name)?.actions ?? []).flatMap((template) => expandAction(template, g)),
      ),
    ),
  );
  const scopes = grants.flatMap((g) => g.scopes.map(assignableScope));
  const widened = grants.some((g) => g.scopes.some((s) => s.includes("*")));
  const opList = [...operations].sort().join(", ") || "none";
  return {
    Name: name,
    IsCustom: true,
    Description:
      `ARM actions armbridge's managed identity needs for the operations its grants use (${opList}).` +
      (widened
        ? " Grant scopes with '*' inside a segment are assignable at their parent scope (e.g. /subscriptions/x/resourceGroups/app-* at /subscriptions/x); armbridge itself still limits each caller to its pattern."
        : ""),
    Actions: [...actions].sort((a, b) => a.localeCompare(b)),
    NotActions: [],
    AssignableScopes: minimalScopes(scopes),
  };
}

/**
 * Operations on resources of any type name their actions as templates: `{resourceType}` becomes each
 * of the grant's resource types (`*` without them), `{action}` each provider action it lists.
 */
function expandAction(template: string, grant: GrantConfig): string[] {
  let expanded = [template];
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

/**
 * The scope a grant pattern can be assigned at: the longest prefix that ends at a subscription,
 * resource group or resource (never inside `providers/{namespace}`) and holds no `*`.
 */
export function assignableScope(pattern: string): string {
  const parts = pattern.split("/");
  const star = parts.findIndex((p) => p.includes("*"));
  if (star < 0) return pattern;
  // Where an ARM id may end: /subscriptions/x | /resourceGroups/y | /providers/ns/type/name | /type/name.
  const ends = [3];
  let i = 3;
  if (parts[3]?.toLowerCase() === "resourcegroups") {
    i = 5;
    ends.push(i);
  }
  while (i < parts.length) {
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
    .filter((k) => !keys.some((other) => other !== k && k.startsWith(`${other}/`)))
    .map((k) => byKey.get(k) as string)
    .sort((a, b) => a.localeCompare(b));
}
