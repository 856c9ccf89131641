// Resource writes the way their providers answer them: Microsoft.Storage creates an account behind
// 202 + Location, Compute and Network answer 201/200 (and deletes 202) with Azure-AsyncOperation; all
// with Retry-After. The resource shows its transitional provisioningState until the operation ends.
import { ArmError } from "../arm-error.ts";
import type { ArmObject } from "../arm-store.ts";
import type { ArmContext, ArmRequest, ArmResult } from "../context.ts";
import type { OperationOutcome } from "../operations.ts";
import type { ResolvedType } from "../resource-model.ts";

function withState(body: ArmObject, provisioningState: string): ArmObject {
  return { ...body, properties: { ...((body.properties as object | undefined) ?? {}), provisioningState } };
}

function stateOf(body: ArmObject | undefined): string | undefined {
  return (body?.properties as { provisioningState?: string } | undefined)?.provisioningState;
}

function statusUrls(
  req: ArmRequest,
  subscriptionId: string,
  type: ResolvedType,
  location: string,
  opId: string,
) {
  const base = `${req.baseUrl}/subscriptions/${subscriptionId}/providers/${type.provider.namespace}/locations/${location}`;
  const q = `api-version=${encodeURIComponent(req.apiVersion)}`;
  return {
    azureAsyncOperation: `${base}/operationStatuses/${opId}?${q}`,
    location: `${base}/asyncoperations/${opId}?monitor=true&${q}`,
  };
}

/** Answers a PUT, PATCH or DELETE of an asynchronously written type; undefined when the write is synchronous. */
export function asyncWrite(
  ctx: ArmContext,
  req: ArmRequest,
  subscriptionId: string,
  type: ResolvedType,
  existing: ArmObject | undefined,
  next: ArmObject | undefined,
): ArmResult | undefined {
  const mode = type.info.asyncWrites;
  if (!mode) return undefined;
  // Microsoft.Storage answers updates and deletes of an account synchronously.
  if (mode === "location" && (req.method !== "PUT" || existing)) return undefined;
  const target = next ?? existing;
  if (!target) return undefined;
  const id = target.id;
  const transitional =
    req.method === "DELETE"
      ? "Deleting"
      : existing
        ? "Updating"
        : mode === "location"
          ? "Creating"
          : "Creating";
  const written = next ? withState(next, transitional) : withState(target, transitional);
  ctx.store.set("resource", written);
  const settle = (): OperationOutcome => {
    const current = ctx.store.get(id)?.body;
    if (!current || stateOf(current) !== transitional) {
      return {
        status: "Canceled",
        error: { code: "Conflict", message: `The resource '${id}' was changed meanwhile.` },
      };
    }
    if (req.method === "DELETE") {
      for (const removed of ctx.store.removeTree(id)) ctx.store.recordEffect("DELETE", removed);
      return { status: "Succeeded", noContent: true };
    }
    const done = withState(current, "Succeeded");
    ctx.store.set("resource", done);
    ctx.store.recordEffect(req.method, id);
    return { status: "Succeeded", result: done };
  };
  const op = ctx.operations.start(req.principal.principalId, ctx.lro().durationMs ?? 100, settle);
  const location = String(target.location ?? "westus");
  const urls = statusUrls(req, subscriptionId, type, location, op.id);
  const retryAfter = String(ctx.lro().retryAfterSeconds ?? 0);
  if (mode === "location") {
    return { status: 202, headers: { Location: urls.location, "Retry-After": retryAfter } };
  }
  const headers = { "Azure-AsyncOperation": urls.azureAsyncOperation, "Retry-After": retryAfter };
  if (req.method === "DELETE") return { status: 202, headers: { ...headers, Location: urls.location } };
  return { status: existing ? 200 : 201, body: written, headers };
}

/** GET /subscriptions/{s}/providers/{ns}/locations/{l}/{operationStatuses|asyncoperations}/{id}. */
export function providerOperation(ctx: ArmContext, req: ArmRequest, kind: string, opId: string): ArmResult {
  const op = ctx.operations.get(opId);
  if (!op) throw new ArmError(404, "OperationNotFound", `The operation '${opId}' could not be found.`);
  const outcome = op.outcome;
  if (kind === "operationstatuses" || kind === "operations") {
    const status = outcome ? outcome.status : "InProgress";
    return {
      status: 200,
      body: {
        id: req.path,
        name: opId,
        status,
        startTime: new Date(op.startedAt).toISOString(),
        ...(outcome ? { endTime: new Date(op.completesAt).toISOString() } : {}),
        ...(outcome?.error ? { error: outcome.error } : {}),
      },
      ...(outcome ? {} : { headers: { "Retry-After": String(ctx.lro().retryAfterSeconds ?? 0) } }),
    };
  }
  if (!outcome) {
    const query = [...req.query].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
    return {
      status: 202,
      headers: {
        Location: `${req.baseUrl}${req.path}?${query}`,
        "Retry-After": String(ctx.lro().retryAfterSeconds ?? 0),
      },
    };
  }
  if (outcome.status !== "Succeeded") return { status: 400, body: { error: outcome.error } };
  if (outcome.noContent || outcome.result === undefined) return { status: 204 };
  return { status: 200, body: outcome.result };
}
