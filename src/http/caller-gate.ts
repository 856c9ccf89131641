// The auth glue every entry point shares: authenticate, log the decision, apply the caller's rate limit.
import type { Context } from "hono";
import type { AuditRecord } from "../audit/record.ts";
import type { Authenticator } from "../callers/authenticate.ts";
import type { RateLimiter } from "../callers/rate-limit.ts";
import type { Caller } from "../kernel/caller.ts";
import { AppError } from "../kernel/errors.ts";
import { annotateRequest, callerAttribution } from "../telemetry/attribution.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { BridgeMetrics } from "../telemetry/metrics.ts";

export interface CallerGateDeps {
  authenticate: Authenticator;
  rateLimit: RateLimiter;
  logger: Logger;
  /** Refusals are audited (durably, before the answer) as well as logged. */
  audit: (records: AuditRecord[]) => Promise<void>;
  metrics: BridgeMetrics;
}

/** The audit record of a refused request: no operation or ARM scope was reached, so both are empty. */
function refusal(c: Context, callerId: string, stage: string, reason: string): AuditRecord {
  return {
    time: new Date().toISOString(),
    requestId: c.get("requestId"),
    callerId,
    operation: stage,
    scope: "",
    kind: "decision",
    decision: "deny",
    reason,
    outcome: `${c.req.method} ${c.req.path}`,
  };
}

export type CallerGate = (
  c: Context,
  allowed: readonly string[],
  body: Uint8Array,
) => Promise<{ caller: Caller; deliveryId: string | undefined }>;

export function createCallerGate({
  authenticate,
  rateLimit,
  logger,
  audit,
  metrics,
}: CallerGateDeps): CallerGate {
  // A store that cannot take the record does not turn a refusal into a server error.
  const record = async (r: AuditRecord) => {
    try {
      await audit([r]);
    } catch (err) {
      logger.error({ err, requestId: r.requestId }, "could not audit a refusal");
    }
  };
  return async (c, allowed, body) => {
    const requestId = c.get("requestId");
    const auth = await authenticate(
      { method: c.req.method, url: c.req.url, headers: c.req.raw.headers, body },
      allowed,
    );
    if (!auth.ok) {
      logger.info(
        {
          requestId,
          stage: "authenticate",
          attemptedCallers: auth.attempted,
          decision: "deny",
          reason: auth.reason,
          ...(auth.reasons && auth.reasons.length > 1 ? { reasons: auth.reasons } : {}),
        },
        "policy decision",
      );
      // A refusal names the caller only when exactly one configured caller's credential was tried.
      const callerId = auth.attempted.length === 1 ? (auth.attempted[0] as string) : "(unknown)";
      await record(refusal(c, callerId, "authenticate", auth.reason));
      metrics.events("refused", 1, { stage: "authenticate" });
      throw new AppError(auth.code, auth.reason, auth.code === "unavailable" ? { retryAfterSeconds: 5 } : {});
    }
    const limited = rateLimit(auth.caller.id);
    if (!limited.ok) {
      logger.info(
        {
          requestId,
          stage: "rate-limit",
          callerId: auth.caller.id,
          decision: "deny",
          reason: "rate limited",
        },
        "policy decision",
      );
      await record(refusal(c, auth.caller.id, "rate-limit", "rate limited"));
      metrics.events("refused", 1, { stage: "rate-limit" });
      throw new AppError("rate_limited", `caller '${auth.caller.id}' is over its rate limit`, {
        retryAfterSeconds: limited.retryAfterSeconds,
      });
    }
    // An allowed caller is named on the request's access line (and its audit record), not on a line of its own.
    annotateRequest(callerAttribution(auth.caller));
    return { caller: auth.caller, deliveryId: auth.deliveryId };
  };
}
