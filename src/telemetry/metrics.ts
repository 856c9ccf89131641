// armbridge's metrics, through the OpenTelemetry metrics API: whatever exporter telemetry set up
// (Azure Monitor, OTLP, or none) receives them. Call sites record domain facts, not instruments.

import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import type { Attributes, Meter } from "@opentelemetry/api";

export type EventOutcome = "accepted" | "duplicate" | "refused";

export interface BridgeMetrics {
  request(route: string, method: string, status: number, ms: number): void;
  events(outcome: EventOutcome, count: number, attributes?: Attributes): void;
  /** A job reached a state (`accepted`, `retrying`, `succeeded`, `failed`, `dead`, `requeued`). */
  job(state: string, operation: string): void;
  armCall(operation: string, method: string, status: number | undefined): void;
  throttleWait(kind: string, ms: number): void;
  tokenRefresh(): void;
  /**
   * Reports the number of unfinished jobs per state whenever metrics are collected; nothing when
   * `depth` resolves undefined (the store is closed) or fails (a collection never fails for it).
   */
  observeQueue(depth: () => Promise<Partial<Record<string, number>> | undefined>): void;
}

export function createMetrics(meter: Meter): BridgeMetrics {
  const requests = meter.createCounter("armbridge.http.requests", { description: "HTTP requests" });
  const duration = meter.createHistogram("armbridge.http.request.duration", { unit: "ms" });
  const events = meter.createCounter("armbridge.events", {
    description: "Deliveries and events by outcome: accepted, duplicate, refused",
  });
  const jobs = meter.createCounter("armbridge.jobs", { description: "Job state transitions" });
  const armCalls = meter.createCounter("armbridge.arm.calls", { description: "ARM requests sent" });
  const throttle = meter.createHistogram("armbridge.arm.throttle.wait", {
    unit: "ms",
    description: "Time an ARM request waited for armbridge's throttle limiter",
  });
  const tokens = meter.createCounter("armbridge.token.refreshes", {
    description: "Managed identity tokens obtained (not served from the cache)",
  });
  const queue = meter.createObservableGauge("armbridge.jobs.queued", {
    description: "Unfinished jobs by state",
  });
  return {
    request(route, method, status, ms) {
      const attributes = {
        "http.route": route,
        "http.request.method": method,
        "http.response.status_code": status,
      };
      requests.add(1, attributes);
      duration.record(ms, attributes);
    },
    events: (outcome, count, attributes = {}) => {
      if (count > 0) events.add(count, { outcome, ...attributes });
    },
    job: (state, operation) => jobs.add(1, { state, operation }),
    armCall: (operation, method, status) =>
      armCalls.add(1, { operation, "http.request.method": method, "http.response.status_code": status ?? 0 }),
    throttleWait: (kind, ms) => throttle.record(ms, { kind }),
    tokenRefresh: () => tokens.add(1),
    observeQueue(depth) {
      queue.addCallback(async (result) => {
        const counts = await depth().catch(() => undefined);
        if (!counts) return;
        for (const state of ["accepted", "running", "waiting"]) result.observe(counts[state] ?? 0, { state });
      });
    },
  };
}

/** For tests and tools that run without telemetry. */
export function noopMetrics(): BridgeMetrics {
  const nothing = () => {};
  return {
    request: nothing,
    events: nothing,
    job: nothing,
    armCall: nothing,
    throttleWait: nothing,
    tokenRefresh: nothing,
    observeQueue: nothing,
  };
}

/** Counts the tokens the credential really fetched: a new expiry means a new token, not the cached one. */
export function countTokenRefreshes(credential: TokenCredential, metrics: BridgeMetrics): TokenCredential {
  let last: number | undefined;
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const token = await credential.getToken(scopes, options);
      if (token && token.expiresOnTimestamp !== last) {
        last = token.expiresOnTimestamp;
        metrics.tokenRefresh();
      }
      return token;
    },
  };
}
