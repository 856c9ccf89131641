// The HTTP edge's view of AppError: the one map from error codes to statuses, and RFC 9457 problem+json.
import type { Context } from "hono";
import { type AppError, ERROR_CODES, type ErrorCode } from "../kernel/errors.ts";

export { ERROR_CODES, type ErrorCode };

export const codeToStatus = {
  bad_request: 400,
  malformed_json: 400,
  invalid_parameters: 400,
  unauthenticated: 401,
  bad_signature: 401,
  forbidden: 403,
  not_found: 404,
  unknown_hook: 404,
  unknown_source: 404,
  job_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<ErrorCode, number>;

export type ErrorStatus = (typeof codeToStatus)[ErrorCode];

const titles: Record<ErrorCode, string> = {
  bad_request: "Bad request",
  malformed_json: "Malformed JSON body",
  invalid_parameters: "Invalid parameters",
  unauthenticated: "Authentication required",
  bad_signature: "Signature verification failed",
  forbidden: "Forbidden",
  not_found: "Not found",
  unknown_hook: "Unknown hook",
  unknown_source: "Unknown event source",
  job_not_found: "Job not found",
  method_not_allowed: "Method not allowed",
  conflict: "Conflict",
  payload_too_large: "Payload too large",
  unsupported_media_type: "Unsupported media type",
  rate_limited: "Too many requests",
  internal: "Internal error",
  unavailable: "Service unavailable",
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance: string;
  requestId: string;
  [extension: string]: unknown;
}

export function problemOf(err: AppError, instance: string, requestId: string): Problem {
  return {
    ...err.extensions,
    type: `urn:armbridge:problem:${err.code}`,
    title: titles[err.code],
    status: codeToStatus[err.code],
    detail: err.detail,
    code: err.code,
    instance,
    requestId,
  };
}

export function problemResponse(c: Context, err: AppError): Response {
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (err.retryAfterSeconds !== undefined) headers["retry-after"] = String(Math.ceil(err.retryAfterSeconds));
  const requestId = (c.get("requestId") as string | undefined) ?? "";
  // Through the context, so headers set by middleware (X-Request-Id) are kept.
  return c.newResponse(
    JSON.stringify(problemOf(err, c.req.path, requestId)),
    codeToStatus[err.code],
    headers,
  );
}
