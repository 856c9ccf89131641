// Role-based access checks the way ARM evaluates role definitions: scope prefix, actions minus notActions.
import type { EmulatedIdentity, RoleAssignment } from "../types.ts";
import { ArmError } from "./arm-error.ts";

const patternCache = new Map<string, RegExp>();

function actionPattern(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    const body = pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${body}$`, "i");
    patternCache.set(pattern, re);
  }
  return re;
}

export function actionMatches(pattern: string, action: string): boolean {
  return actionPattern(pattern).test(action);
}

export function scopeContains(assignmentScope: string, scope: string): boolean {
  const outer = assignmentScope.toLowerCase().replace(/\/+$/, "");
  const inner = scope.toLowerCase().replace(/\/+$/, "");
  return outer === "" || outer === "/" || inner === outer || inner.startsWith(`${outer}/`);
}

export function assignmentAllows(assignment: RoleAssignment, action: string, scope: string): boolean {
  if (!scopeContains(assignment.scope, scope)) return false;
  if (!assignment.actions.some((p) => actionMatches(p, action))) return false;
  return !(assignment.notActions ?? []).some((p) => actionMatches(p, action));
}

export function isAuthorized(identity: EmulatedIdentity, action: string, scope: string): boolean {
  return identity.roleAssignments.some((a) => assignmentAllows(a, action, scope));
}

export function authorizationFailed(identity: EmulatedIdentity, action: string, scope: string): ArmError {
  return new ArmError(
    403,
    "AuthorizationFailed",
    `The client '${identity.principalId}' with object id '${identity.principalId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

/** The NotActions of the built-in Contributor role. */
export const CONTRIBUTOR_NOT_ACTIONS = [
  "Microsoft.Authorization/*/Delete",
  "Microsoft.Authorization/*/Write",
  "Microsoft.Authorization/elevateAccess/Action",
  "Microsoft.Blueprint/blueprintAssignments/write",
  "Microsoft.Blueprint/blueprintAssignments/delete",
  "Microsoft.Compute/galleries/share/action",
  "Microsoft.Purview/consents/write",
  "Microsoft.Purview/consents/delete",
];
