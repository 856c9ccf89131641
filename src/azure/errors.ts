// Classifies what went wrong in an ARM call: ARM's own code and message, and whether a retry can help.
import { isRestError } from "@azure/core-rest-pipeline";
import { AuthenticationError, CredentialUnavailableError } from "@azure/identity";
import { parseRetryAfter } from "./throttle.ts";

export interface ArmFailure {
  /** ARM's error code (`ResourceGroupNotFound`, `InvalidTemplate`, …) or armbridge's for local causes. */
  code: string;
  message: string;
  status?: number;
  retryable: boolean;
  /** From Retry-After, when ARM sent one. */
  retryAfterMs?: number;
}

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const TRANSIENT_CONFLICTS = new Set(["AnotherOperationInProgress", "OperationNotAllowed", "Conflict"]);

export function describeArmError(err: unknown): ArmFailure {
  if (err instanceof CredentialUnavailableError || err instanceof AuthenticationError) {
    // The managed identity could not get a token (IMDS down or slow): wait and retry, never fail the job.
    return { code: "TokenUnavailable", message: firstLine(err.message), retryable: true };
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
