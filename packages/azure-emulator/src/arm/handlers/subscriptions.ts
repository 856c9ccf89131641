// Subscriptions, the provider registry and Location-polled operation results.
import { ArmError } from "../arm-error.ts";
import { type ArmContext, type ArmRequest, type ArmResult, lroHeaders } from "../context.ts";
import { findProvider, PROVIDERS, providerToArm, RESOURCES_PROVIDER } from "../provider-registry.ts";
import { scopeContains } from "../rbac.ts";

export function subscriptionToArm(ctx: ArmContext, subscriptionId: string): Record<string, unknown> {
  const index = ctx.subscriptions.indexOf(subscriptionId);
  return {
    id: `/subscriptions/${subscriptionId}`,
    authorizationSource: "RoleBased",
    managedByTenants: [],
    subscriptionId,
    tenantId: ctx.tenantId,
    displayName: `Emulated subscription ${index + 1}`,
    state: "Enabled",
    subscriptionPolicies: {
      locationPlacementId: "Public_2014-09-01",
      quotaId: "PayAsYouGo_2014-09-01",
      spendingLimit: "Off",
    },
    tags: ctx.store.tagsOfSubscription(subscriptionId),
  };
}

export function listSubscriptions(ctx: ArmContext, req: ArmRequest): ArmResult {
  const visible = ctx.subscriptions.filter((s) =>
    req.principal.roleAssignments.some(
      (a) => scopeContains(a.scope, `/subscriptions/${s}`) || scopeContains(`/subscriptions/${s}`, a.scope),
    ),
  );
  return {
    status: 200,
    body: {
      value: visible.map((s) => subscriptionToArm(ctx, s)),
      count: { type: "Total", value: visible.length },
    },
  };
}

export function getSubscription(ctx: ArmContext, subscriptionId: string): ArmResult {
  return { status: 200, body: subscriptionToArm(ctx, subscriptionId) };
}

export function listProviders(subscriptionId: string): ArmResult {
  const value = [...PROVIDERS, RESOURCES_PROVIDER].map((p) => providerToArm(p, subscriptionId));
  return { status: 200, body: { value } };
}

export function getProvider(subscriptionId: string, namespace: string): ArmResult {
  const provider = findProvider(namespace);
  if (!provider) {
    throw new ArmError(404, "InvalidResourceNamespace", `The resource namespace '${namespace}' is invalid.`);
  }
  return { status: 200, body: providerToArm(provider, subscriptionId) };
}

/** GET /subscriptions/{s}/operationresults/{id}: 202 while running, then 200 (with a result if any). */
export function getOperationResult(ctx: ArmContext, req: ArmRequest, operationId: string): ArmResult {
  const op = ctx.operations.get(operationId);
  if (!op) {
    throw new ArmError(404, "OperationNotFound", `The operation '${operationId}' could not be found.`);
  }
  if (!op.outcome) {
    const location = `${req.baseUrl}${req.path}?api-version=${req.apiVersion}`;
    return { status: 202, headers: lroHeaders(ctx, location, "Location") };
  }
  if (op.outcome.status !== "Succeeded") {
    return { status: 400, body: { error: op.outcome.error } };
  }
  if (op.outcome.noContent) return { status: 204 };
  return op.outcome.result === undefined ? { status: 200 } : { status: 200, body: op.outcome.result };
}
