// Keeps the SDK's retry policy from re-sending a write whose outcome is unknown. A write answered
// 5xx/408, or cut off after it was sent (reset, time-out), may have taken effect at ARM; re-sending
// it blindly is what made lost responses into duplicate PUTs. Such an outcome leaves the pipeline as
// a WriteOutcomeUnknownError, which the SDK does not retry; the job's next attempt first asks ARM
// whether the write took effect (the operation's `checkApplied`). Writes that certainly did not
// reach ARM's resource provider (429, connection refused, no such host) are retried by the SDK as before.
import type { PipelinePolicy, PipelineResponse } from "@azure/core-rest-pipeline";
import { isRestError, WriteOutcomeUnknownError } from "./errors.ts";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Connection failures before a byte was sent: the write cannot have taken effect. */
const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "ENOENT", "EAI_AGAIN"]);

/** What the SDK's retry policy would retry: 408, or 5xx but 501 and 505. 429 is ARM's throttle, before the write. */
const uncertainStatus = (status: number) =>
  status === 408 || (status >= 500 && status !== 501 && status !== 505);

function armCode(response: PipelineResponse): string {
  try {
    const code = (JSON.parse(response.bodyAsText ?? "") as { error?: { code?: unknown } }).error?.code;
    if (typeof code === "string") return code;
  } catch {
    // No ARM error body (a gateway's page): the status says it.
  }
  return `Http${response.status}`;
}

export function writeResendGuardPolicy(): PipelinePolicy {
  return {
    name: "armbridgeWriteResendGuard",
    async sendRequest(request, next) {
      const method = request.method.toUpperCase();
      if (READS.has(method)) return next(request);
      let response: PipelineResponse;
      try {
        response = await next(request);
      } catch (err) {
        if (isRestError(err) && err.statusCode === undefined && !NEVER_SENT.has(err.code ?? "")) {
          throw new WriteOutcomeUnknownError(method, err.code ?? "RequestFailed", undefined, err);
        }
        throw err;
      }
      if (uncertainStatus(response.status)) {
        throw new WriteOutcomeUnknownError(method, armCode(response), response.status, undefined);
      }
      return response;
    },
  };
}
