// The auth glue every entry point shares: authenticate, log the decision, apply the caller's rate limit.
import type { Context } from "hono";
import type { Authenticator } from "../callers/authenticate.ts";
import type { Caller } from "../callers/caller.ts";
import type { RateLimiter } from "../callers/rate-limit.ts";
import type { Logger } from "../telemetry/logger.ts";
import { BridgeError } from "./errors.ts";

export interface CallerGateDeps {
  authenticate: Authenticator;
  rateLimit: RateLimiter;
  logger: Logger;
}

export type CallerGate = (
  c: Context,
  allowed: readonly string[],
  body: Uint8Array,
) => Promise<{ caller: Caller; deliveryId: string | undefined }>;

export function createCallerGate({ authenticate, rateLimit, logger }: CallerGateDeps): CallerGate {
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
        },
        "policy decision",
      );
      throw new BridgeError(
        auth.code,
        auth.reason,
        auth.code === "unavailable" ? { retryAfterSeconds: 5 } : {},
      );
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
      throw new BridgeError("rate_limited", `caller '${auth.caller.id}' is over its rate limit`, {
        retryAfterSeconds: limited.retryAfterSeconds,
      });
    }
    logger.info(
      {
        requestId,
        stage: "authenticate",
        callerId: auth.caller.id,
        subject: auth.caller.subject,
        decision: "allow",
      },
      "policy decision",
    );
    return { caller: auth.caller, deliveryId: auth.deliveryId };
  };
}
