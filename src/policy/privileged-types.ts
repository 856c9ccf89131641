// Resource types whose write turns a narrow grant into much more: role assignments and definitions,
// policies and locks (Microsoft.Authorization), deployment scripts (code run under an identity), and
// federated credentials (an outside token acting as a managed identity). A grant reaches them only
// when its `resourceTypes` names them.

const PRIVILEGED: readonly RegExp[] = [
  /^microsoft\.authorization\//,
  /^microsoft\.resources\/deploymentscripts$/,
  /^microsoft\.managedidentity\/userassignedidentities\/federatedidentitycredentials$/,
];

/** `type` as `Namespace/type[/child]`, any casing. */
export function isPrivilegedType(type: string): boolean {
  const t = type.toLowerCase();
  return PRIVILEGED.some((p) => p.test(t));
}

/** The same types as role `NotActions`, for roles whose actions name any type (a wildcard write). */
export const PRIVILEGED_NOT_ACTIONS: readonly string[] = [
  "Microsoft.Authorization/*/Write",
  "Microsoft.Authorization/*/Delete",
  "Microsoft.Resources/deploymentScripts/write",
  "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
];
