// The one error type of armbridge: a stable code and a detail safe to show the caller. It carries no
// HTTP status; only the HTTP edge (http/errors.ts) maps codes to statuses and problem+json.

/** Every code a caller may see, in the order the OpenAPI document lists them. */
export const ERROR_CODES = [
  "bad_request",
  "malformed_json",
  "invalid_parameters",
  "unauthenticated",
  "bad_signature",
  "forbidden",
  "not_found",
  "unknown_hook",
  "unknown_source",
  "job_not_found",
  "method_not_allowed",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "internal",
  "unavailable",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppErrorOptions {
  /** Machine-readable details safe to show the caller (never secrets, never other callers' grants). */
  extensions?: Record<string, unknown>;
  /** Seconds after which a retry may succeed. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly extensions: Record<string, unknown>;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail: string, options: AppErrorOptions = {}) {
    super(detail, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.detail = detail;
    this.extensions = options.extensions ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
