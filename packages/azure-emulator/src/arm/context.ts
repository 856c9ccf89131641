// What ARM handlers receive: the parsed request and the emulator's shared state.
import type { EmulatedIdentity, LroSettings } from "../types.ts";
import { ArmError } from "./arm-error.ts";
import type { ArmStore } from "./arm-store.ts";
import type { DeploymentLedger } from "./deployment-ledger.ts";
import type { OperationOutcome, OperationTracker } from "./operations.ts";
import type { TemplateLink } from "./template-runner.ts";

export interface ArmContext {
  store: ArmStore;
  operations: OperationTracker;
  deployments: DeploymentLedger;
  lro: () => LroSettings;
  subscriptions: string[];
  tenantId: string;
  /** Fetches a linked template (loopback only). */
  fetchTemplate: (link: TemplateLink) => Promise<unknown>;
}

export interface ArmRequest {
  method: string;
  /** Decoded path segments in the casing the client sent. */
  segments: string[];
  /** Normalised path ("/a/b"), casing as sent. */
  path: string;
  query: URLSearchParams;
  apiVersion: string;
  body: unknown;
  principal: EmulatedIdentity;
  /** "https://host:port" as the client addressed us. */
  baseUrl: string;
  correlationId: string;
}

export interface ArmResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function objectBody(req: ArmRequest): Record<string, unknown> {
  if (
    req.body === undefined ||
    req.body === null ||
    typeof req.body !== "object" ||
    Array.isArray(req.body)
  ) {
    throw new ArmError(
      400,
      "InvalidRequestContent",
      "The request content was invalid and could not be deserialized: 'Expected a JSON object.'.",
    );
  }
  return req.body as Record<string, unknown>;
}

export function stringRecord(value: unknown, what: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ArmError(
      400,
      "InvalidRequestContent",
      `The request content was invalid: '${what}' must be an object.`,
    );
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

/** Every long-running answer carries Retry-After, as ARM's do. */
export function lroHeaders(ctx: ArmContext, location: string, kind: "Location" | "Azure-AsyncOperation") {
  return { [kind]: location, "Retry-After": String(ctx.lro().retryAfterSeconds ?? 0) };
}

/** Starts a Location-polled operation (`/subscriptions/{s}/operationresults/{id}`) and answers 202. */
export function acceptedOperation(
  ctx: ArmContext,
  req: ArmRequest,
  subscriptionId: string,
  run: () => OperationOutcome | Promise<OperationOutcome>,
): ArmResult {
  const op = ctx.operations.start(req.principal.principalId, ctx.lro().durationMs ?? 100, run);
  const location = `${req.baseUrl}/subscriptions/${subscriptionId}/operationresults/${op.id}?api-version=${encodeURIComponent(req.apiVersion)}`;
  return { status: 202, headers: lroHeaders(ctx, location, "Location") };
}
