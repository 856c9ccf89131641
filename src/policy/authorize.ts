// Deny-by-default decisions: may this caller run this operation on this scope, and if not, why.
import type { GrantConfig } from "../config/schema.ts";
import { type Scope, scopeMatches } from "./scope.ts";

export type Decision = { allowed: true; grantIndex: number } | { allowed: false; reason: string };

export type Authorizer = (callerId: string, operation: string, scope: Scope) => Decision;

export function createAuthorizer(grants: readonly GrantConfig[]): Authorizer {
  return (callerId, operation, scope) => {
    const own = grants.map((grant, index) => ({ grant, index })).filter((g) => g.grant.caller === callerId);
    if (own.length === 0) return { allowed: false, reason: `caller '${callerId}' has no grants` };
    const forOperation = own.filter(
      (g) => g.grant.operations.includes(operation) || g.grant.operations.includes("*"),
    );
    if (forOperation.length === 0) {
      return { allowed: false, reason: `caller '${callerId}' is not granted operation '${operation}'` };
    }
    const match = forOperation.find((g) => g.grant.scopes.some((pattern) => scopeMatches(pattern, scope)));
    if (!match) {
      // Names only what was asked for; the caller's own grant scopes are not echoed back either.
      return {
        allowed: false,
        reason: `caller '${callerId}' is not granted operation '${operation}' on scope '${scope.path}'`,
      };
    }
    return { allowed: true, grantIndex: match.index };
  };
}
