// Classifies what went wrong in an ARM call: ARM's own code and message, and whether a retry can help.
import type { RestError } from "@azure/core-rest-pipeline";
import { parseRetryAfter } from "./throttle.ts";

/**
 * The SDK's own test, by name (its fallback for a second copy of the package): importing it would
 * load the whole HTTP pipeline at start, before any job needs it.
 */
export function isRestError(err: unknown): err is RestError {
  return err instanceof Error && err.name === "RestError";
}

export interface ArmFailure {
  /** ARM's error code (`ResourceGroupNotFound`, `InvalidTemplate`, …) or armbridge's for local causes. */
  code: string;
  message: string;
  status?: number;
  retryable: boolean;
  /** From Retry-After, when ARM sent one. */
  retryAfterMs?: number;
  /** ARM's inner errors (e.g. a deployment's failed resources). */
  details?: unknown;
}

/** A write that may have taken effect at ARM (write-resend-guard.ts): checked before it is sent again. */
export class WriteOutcomeUnknownError extends Error {
  override name = "WriteOutcomeUnknownError";
  /** ARM's error code when it answered one, else the transport's (`ECONNRESET`). */
  readonly code: string;
  readonly status: number | undefined;

  constructor(method: string, code: string, status: number | undefined, cause: unknown) {
    super(
      `${method} ${status ? `answered ${status} ${code}` : `got no answer (${code})`}; whether it took effect is checked before it is sent again`,
      { cause },
    );
    this.code = code;
    this.status = status;
  }
}

/** An ARM failure the SDK did not surface as a RestError (a failed LRO, a validate 400), made structured. */
export class ArmOperationError extends Error {
  override name = "ArmOperationError";
  readonly code: string;
  readonly status: number | undefined;
  readonly details: unknown;

  constructor(code: string, message: string, status?: number, details?: unknown) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** ARM's error body: `{ error: { code, message, details } }`. */
export function armErrorFromBody(body: unknown, status?: number): ArmOperationError | undefined {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
    ?.error;
  if (!error || typeof error.code !== "string") return undefined;
  return new ArmOperationError(error.code, String(error.message ?? error.code), status, error.details);
}

/** What @azure/identity throws when the managed identity gets no token (by name: it loads lazily). */
const TOKEN_ERRORS = new Set([
  "CredentialUnavailableError",
  "AuthenticationError",
  "AuthenticationRequiredError",
]);

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
// DeploymentActive: another deployment of that name is still running; it ends, then the PUT can go.
const TRANSIENT_CONFLICTS = new Set([
  "AnotherOperationInProgress",
  "OperationNotAllowed",
  "Conflict",
  "DeploymentActive",
]);

export function describeArmError(err: unknown): ArmFailure {
  if (err instanceof Error && TOKEN_ERRORS.has(err.name)) {
    // The managed identity could not get a token (IMDS down or slow): wait and retry, never fail the job.
    return { code: "TokenUnavailable", message: firstLine(err.message), retryable: true };
  }
  if (err instanceof WriteOutcomeUnknownError) {
    // Retried by the job, whose next attempt looks whether the write took effect before sending it again.
    return {
      code: err.code,
      message: firstLine(err.message),
      ...(err.status !== undefined ? { status: err.status } : {}),
      retryable: true,
    };
  }
  if (err instanceof ArmOperationError) {
    return {
      code: err.code,
      message: firstLine(err.message),
      ...(err.status !== undefined ? { status: err.status } : {}),
      retryable:
        err.status !== undefined &&
        (TRANSIENT_STATUS.has(err.status) || (err.status === 409 && TRANSIENT_CONFLICTS.has(err.code))),
      ...(err.details !== undefined ? { details: err.details } : {}),
    };
  }
  if (isRestError(err)) {
    const status = err.statusCode;
    const code = err.code ?? (status ? `Http${status}` : "RequestFailed");
    const retryAfter = parseRetryAfter(err.response?.headers.get("retry-after"));
    const retryable =
      status === undefined ||
      TRANSIENT_STATUS.has(status) ||
      (status === 409 && TRANSIENT_CONFLICTS.has(code));
    return {
      code,
      message: firstLine(err.message),
      ...(status !== undefined ? { status } : {}),
      retryable,
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    };
  }
  if (err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError")) {
    return { code: "Timeout", message: err.message, retryable: true };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: "InternalError", message: firstLine(message), retryable: false };
}

function firstLine(text: string): string {
  return text.split("\n")[0]?.slice(0, 2000) ?? "";
}
