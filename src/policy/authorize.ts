// Deny-by-default decisions: may this caller run this operation (and action) on this scope, and if not, why.
import type { GrantConfig } from "../config/schema.ts";
import { parseScope, resourceTypeOf, type Scope, scopeMatches } from "../kernel/arm-scope.ts";
import { isPrivilegedType } from "./privileged-types.ts";

export type Decision = { allowed: true; grantIndex: number } | { allowed: false; reason: string };

/** `action` is a provider action (`start`, `powerOff`) for operations that run one; grants must list it. */
export type Authorizer = (callerId: string, operation: string, scope: Scope, action?: string) => Decision;

export function createAuthorizer(grants: readonly GrantConfig[]): Authorizer {
  return (callerId, operation, scope, action) => {
    const own = grants.map((grant, index) => ({ grant, index })).filter((g) => g.grant.caller === callerId);
    if (own.length === 0) return { allowed: false, reason: `caller '${callerId}' has no grants` };
    const what = `operation '${operation}'`;
    const forOperation = own.filter((g) => listed(g.grant.operations, operation));
    if (forOperation.length === 0) {
      return { allowed: false, reason: `caller '${callerId}' is not granted ${what}` };
    }
    const inScope = forOperation.filter((g) =>
      g.grant.scopes.some((pattern) => scopeMatches(pattern, scope)),
    );
    if (inScope.length === 0) {
      // Names only what was asked for; the caller's own grant scopes are not echoed back either.
      return {
        allowed: false,
        reason: `caller '${callerId}' is not granted ${what} on scope '${scope.path}'`,
      };
    }
    const ofType = inScope.filter((g) => typeAllowed(g.grant.resourceTypes, scope.resourceType));
    if (ofType.length === 0) {
      return {
        allowed: false,
        reason: `caller '${callerId}' is not granted ${what} on resources of type '${typeAsWritten(scope)}'`,
      };
    }
    if (action === undefined) return { allowed: true, grantIndex: (ofType[0] as { index: number }).index };
    // Stryker disable next-line ArrayDeclaration: a grant without actions lists none; a filler name matches no real action
    const match = ofType.find((g) => listed(g.grant.actions ?? [], action));
    if (!match) {
      return {
        allowed: false,
        reason: `caller '${callerId}' is not granted action '${action}' of ${what} on scope '${scope.path}'`,
      };
    }
    return { allowed: true, grantIndex: match.index };
  };
}

/**
 * The same decisions, each worked out once: for one delivery whose events ask the same few things
 * thousands of times. A decision depends only on its arguments and the grants, so keep the result
 * no longer than the grants it was made from (one request).
 */
export function rememberingDecisions(authorize: Authorizer): Authorizer {
  const decided = new Map<string, Decision>();
  return (callerId, operation, scope, action) => {
    const key = JSON.stringify([callerId, operation, scope.path, action ?? null]);
    let decision = decided.get(key);
    if (decision === undefined) {
      decision = authorize(callerId, operation, scope, action);
      decided.set(key, decision);
    }
    return decision;
  };
}

/**
 * Whether the caller may change one resource with the operation (each resource a deployment's
 * what-if names): undefined when it may, else the reason, which names the resource and what was
 * asked, never the grants. An id armbridge cannot parse is refused.
 */
export function authorizeResourceChange(
  authorize: Authorizer,
  callerId: string,
  operation: string,
  resourceId: string,
): string | undefined {
  const parsed = parseScope(resourceId);
  if (!parsed.ok) return `'${resourceId || "(unnamed resource)"}' cannot be checked: ${parsed.reason}`;
  const decision = authorize(callerId, operation, parsed.scope);
  return decision.allowed ? undefined : decision.reason;
}

/** The resource type with the casing the caller used (the scope's own is lowercased for matching). */
function typeAsWritten(scope: Scope): string | undefined {
  const type = resourceTypeOf(scope.path);
  return type ? `${type.namespace}/${type.type}` : scope.resourceType;
}

/**
 * A grant's resource types limit only scopes that name a resource; group and subscription scopes
 * pass. Privileged types (role assignments, deployment scripts, …) pass only when listed by name.
 */
function typeAllowed(types: readonly string[] | undefined, resourceType: string | undefined): boolean {
  if (!resourceType) return true;
  const listed = types?.some((t) => t.toLowerCase() === resourceType.toLowerCase()) === true;
  if (isPrivilegedType(resourceType)) return listed;
  return !types || listed;
}

function listed(list: readonly string[], name: string): boolean {
  return list.includes(name) || list.includes("*");
}

/** A caller's grants as it may see them (for `GET /v1/whoami`): `*` operations spelled out. */
export function grantsOf(
  grants: readonly GrantConfig[],
  callerId: string,
  operationNames: readonly string[],
): { operations: string[]; actions?: string[]; scopes: string[] }[] {
  return grants
    .filter((g) => g.caller === callerId)
    .map((g) => ({
      operations: g.operations.includes("*") ? [...operationNames] : [...g.operations],
      ...(g.actions ? { actions: [...g.actions] } : {}),
      scopes: [...g.scopes],
    }));
}
