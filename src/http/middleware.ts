// Request-scoped plumbing: request ids, access logs, the body size limit.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { AppError } from "../kernel/errors.ts";
import { currentRequestAttribution } from "../telemetry/attribution.ts";
import type { Logger } from "../telemetry/logger.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** The problem an error response carried, for the access log. */
    problem: { code: string; detail: string } | undefined;
  }
}

/** Honours a well-formed X-Request-Id from the caller (echoed back), otherwise makes a UUID. */
export const requestIds = (): MiddlewareHandler => requestId({ limitLength: 128 });

export const accessLog =
  (logger: Logger): MiddlewareHandler =>
  async (c, next) => {
    const started = performance.now();
    await next();
    const level = c.res.status >= 500 ? "error" : c.res.status >= 400 ? "warn" : "info";
    // What the request learned of itself: the caller once authenticated, the operations it asked for.
    const learned = currentRequestAttribution();
    logger[level](
      {
        requestId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        ...(learned?.callerId ? { callerId: learned.callerId, subject: learned.callerSubject } : {}),
        ...(learned?.onBehalfOf ? { onBehalfOf: learned.onBehalfOf } : {}),
        ...(learned?.operations ? { operations: learned.operations, scopes: learned.scopes } : {}),
        ...(c.get("problem") ? { problem: c.get("problem") } : {}),
      },
      "request",
    );
  };

/** `maxBytes` for every request, unless `limitOf(path)` names another limit (an event source's). */
export const limitBody = (
  maxBytes: number,
  limitOf: (path: string) => number | undefined = () => undefined,
): MiddlewareHandler => {
  const limiters = new Map<number, MiddlewareHandler>();
  const limiter = (limit: number) => {
    let handler = limiters.get(limit);
    if (!handler) {
      handler = bodyLimit({
        maxSize: limit,
        onError: () => {
          throw new AppError("payload_too_large", `the request body exceeds ${limit} bytes`, {
            extensions: { limitBytes: limit },
          });
        },
      });
      limiters.set(limit, handler);
    }
    return handler;
  };
  return (c, next) => {
    const limit = limitOf(c.req.path) ?? maxBytes;
    // A declared length is checked as hono's bodyLimit checks it, but without asking for the body
    // as a Web stream, which the Node server would build for this alone (a tenth of a webhook's CPU).
    const declared = c.req.header("content-length");
    if (declared !== undefined && /^\d+$/.test(declared) && c.req.header("transfer-encoding") === undefined) {
      if (Number(declared) <= limit) return next();
    }
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    return limiter(limit)(c, next);
  };
};
