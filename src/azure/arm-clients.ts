// ARM clients for one managed identity: one client per subscription, sharing the credential, the
// trusted CA and armbridge's pipeline policies, so every request carries the job's correlation ids,
// waits for the throttle limiter, and is reported (for the audit log) with ARM's request id.
import { readFileSync } from "node:fs";
import { ResourceManagementClient, restorePoller } from "@azure/arm-resources";
import { DeploymentsClient, restorePoller as restoreDeploymentPoller } from "@azure/arm-resourcesdeployments";
import type { TokenCredential } from "@azure/core-auth";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { type Client, getClient } from "@azure-rest/core-client";
import { trace } from "@opentelemetry/api";
import type { Config } from "../config/schema.ts";
import { type Attribution, currentAttribution } from "../telemetry/attribution.ts";
import { ATTR } from "../telemetry/span-processor.ts";
import { createApiVersionResolver } from "./api-versions.ts";
import { retryAfterPolicy } from "./retry-after-policy.ts";
import { parseRetryAfter, requestKind, type ThrottleLimiter } from "./throttle.ts";
import { writeResendGuardPolicy } from "./write-resend-guard.ts";

export interface ArmClients {
  resources(subscriptionId: string): ResourceManagementClient;
  deployments(subscriptionId: string): DeploymentsClient;
  /** A client for ARM calls the typed SDKs do not cover (provider actions), on the same pipeline. */
  rest: Client;
  /** The api-version to use for a resource id: the newest stable one its provider registers, cached. */
  apiVersionFor(subscriptionId: string, resourceId: string): Promise<string>;
  /** Poll interval for long-running operations when ARM sends no Retry-After. */
  pollIntervalMs: number;
  /**
   * The SDKs' pollers rebuilt from a stored state, here so that only this module loads the SDKs
   * (on the first job, not at start).
   */
  restorePoller: typeof restorePoller;
  restoreDeploymentPoller: typeof restoreDeploymentPoller;
  /** The tag the pipeline adds to a job's PUTs (its value the caller id), so read-before-write expects it. */
  callerTag: string | undefined;
}

/** One request as it went over the wire (each SDK retry is its own call). */
export interface ArmCall {
  method: string;
  path: string;
  attribution: Attribution | undefined;
  /** Absent when no response came (timeout, connection error). */
  status?: number;
  armRequestId?: string;
  errorCode?: string;
}

export interface ArmClientOptions {
  /** Extra CA certificate (PEM) to trust; `azure.caCertFile` otherwise. */
  extraCaPem?: string;
  limiter?: ThrottleLimiter;
  /**
   * Told of every request after its response (or failure). Awaited, but its failure never replaces
   * ARM's answer: a finished write must not look failed and be sent again.
   */
  onCall?: (call: ArmCall) => Promise<void>;
  /** Told how long a request waited for the throttle limiter, when it waited. */
  onThrottleWait?: (kind: string, ms: number) => void;
  /** When set, a PUT (and a PATCH that sets tags) made for a job carries this tag with the caller's id. */
  callerTag?: string;
}

function attributionPolicy(timeoutMs: number): PipelinePolicy {
  return {
    name: "armbridgeAttribution",
    sendRequest(request, next) {
      const attribution = currentAttribution();
      if (attribution) {
        request.headers.set("x-ms-correlation-request-id", attribution.correlationId);
        request.headers.set("x-ms-client-request-id", attribution.clientRequestId);
      }
      if (!request.timeout) request.timeout = timeoutMs;
      return next(request);
    },
  };
}

/** Runs once per physical attempt (after the SDK's retry policy), so SDK retries are throttled too. */
function throttleAndReportPolicy({ limiter, onCall, onThrottleWait }: ArmClientOptions): PipelinePolicy {
  return {
    name: "armbridgeThrottleAndReport",
    async sendRequest(request, next) {
      const url = new URL(request.url);
      const subscription = /^\/subscriptions\/([^/]+)/i.exec(url.pathname)?.[1] ?? "(tenant)";
      const kind = requestKind(request.method);
      const before = performance.now();
      await limiter?.acquire(subscription, kind, request.abortSignal as AbortSignal | undefined);
      const waitedMs = performance.now() - before;
      if (waitedMs >= 1) onThrottleWait?.(kind, waitedMs);
      const call: ArmCall = { method: request.method, path: url.pathname, attribution: currentAttribution() };
      // Marks the SDK's HTTP span as an ARM call and names the subscription whose buckets ARM counts it in.
      trace.getActiveSpan()?.setAttribute(ATTR.armSubscription, subscription);
      try {
        const response = await next(request);
        const remaining = response.headers.get(`x-ms-ratelimit-remaining-subscription-${kind}`);
        const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
        limiter?.observe(subscription, kind, {
          status: response.status,
          ...(remaining && /^\d+$/.test(remaining) ? { remaining: Number(remaining) } : {}),
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        });
        // On the SDK's HTTP span (active here): how long ARM asked to wait, for the throttling view.
        if (retryAfterMs !== undefined) trace.getActiveSpan()?.setAttribute(ATTR.retryAfterMs, retryAfterMs);
        call.status = response.status;
        const armRequestId = response.headers.get("x-ms-request-id");
        if (armRequestId) call.armRequestId = armRequestId;
        return response;
      } catch (err) {
        call.errorCode = (err as { code?: string }).code ?? (err as Error).name;
        throw err;
      } finally {
        await onCall?.(call).catch(() => {
          // The caller (runtime.ts) keeps what it could not record; ARM's answer stands.
        });
      }
    },
  };
}

const TAGS_RESOURCE = /\/providers\/Microsoft\.Resources\/tags\/default$/i;

/**
 * Writes the caller into a tag of what a job creates or updates, so the resource itself says who
 * asked. A PUT replaces the tags anyway; a PATCH is touched only when it already sets tags, because
 * a PATCH with tags replaces all of them. The tags API itself is left alone.
 */
function callerTagPolicy(tag: string): PipelinePolicy {
  return {
    name: "armbridgeCallerTag",
    sendRequest(request, next) {
      const attribution = currentAttribution();
      const method = request.method.toUpperCase();
      if (attribution && (method === "PUT" || method === "PATCH") && typeof request.body === "string") {
        if (!TAGS_RESOURCE.test(new URL(request.url).pathname)) {
          try {
            const body = JSON.parse(request.body) as Record<string, unknown>;
            const tags = body?.tags;
            const hasTags = tags !== null && typeof tags === "object" && !Array.isArray(tags);
            if (body && typeof body === "object" && !Array.isArray(body) && (method === "PUT" || hasTags)) {
              body.tags = { ...(hasTags ? (tags as object) : {}), [tag]: attribution.callerId };
              request.body = JSON.stringify(body);
            }
          } catch {
            // Not JSON: sent as it is.
          }
        }
      }
      return next(request);
    },
  };
}

export function createArmClients(
  credential: TokenCredential,
  azure: Config["azure"],
  options: ArmClientOptions = {},
): ArmClients {
  const ca = options.extraCaPem ?? (azure.caCertFile ? readFileSync(azure.caCertFile, "utf8") : undefined);
  const clientOptions = {
    endpoint: azure.resourceManagerEndpoint,
    credentials: { scopes: [`${azure.audience.replace(/\/$/, "")}/.default`] },
    // Trust is added for these clients only; the process-wide TLS verification stays untouched.
    ...(ca ? { tlsOptions: { ca } } : {}),
    additionalPolicies: [
      { policy: attributionPolicy(azure.requestTimeoutMs), position: "perCall" as const },
      { policy: retryAfterPolicy(), position: "perCall" as const },
      ...(options.callerTag
        ? [{ policy: callerTagPolicy(options.callerTag), position: "perCall" as const }]
        : []),
      // Outside the throttle and report policy: that one records every physical request as it was.
      { policy: writeResendGuardPolicy(), position: "perRetry" as const },
      { policy: throttleAndReportPolicy(options), position: "perRetry" as const },
    ],
    retryOptions: {
      maxRetries: azure.retry.maxRetries,
      retryDelayInMs: azure.retry.retryDelayMs,
      maxRetryDelayInMs: azure.retry.maxRetryDelayMs,
    },
  };
  const cached = <T>(make: (subscriptionId: string) => T) => {
    const clients = new Map<string, T>();
    return (subscriptionId: string): T => {
      const key = subscriptionId.toLowerCase();
      let client = clients.get(key);
      if (!client) {
        client = make(subscriptionId);
        clients.set(key, client);
      }
      return client;
    };
  };
  const resolveApiVersion = createApiVersionResolver();
  const clients: ArmClients = {
    pollIntervalMs: azure.pollIntervalMs,
    callerTag: options.callerTag,
    apiVersionFor: (subscriptionId, resourceId) =>
      resolveApiVersion(clients.resources(subscriptionId), resourceId),
    rest: getClient(azure.resourceManagerEndpoint, credential, clientOptions),
    resources: cached((s) => new ResourceManagementClient(credential, s, clientOptions)),
    deployments: cached((s) => new DeploymentsClient(credential, s, clientOptions)),
    restorePoller,
    restoreDeploymentPoller,
  };
  return clients;
}
