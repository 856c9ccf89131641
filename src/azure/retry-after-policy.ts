// Retry-After honoured on every long-running poll. The SDK's pollers wait out the Retry-After of a
// poll answer but send their first poll right after the initial 201/202, whatever it asked for; this
// policy remembers when each operation's status URL may next be asked and holds a poll until then.
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { parseRetryAfter } from "./throttle.ts";

const MAX_TRACKED = 1000;

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      signal?.removeEventListener("abort", abort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", abort, { once: true });
  });
}

export function retryAfterPolicy(now: () => number = Date.now): PipelinePolicy {
  /** Status URL -> the time before which ARM asked not to be polled. */
  const notBefore = new Map<string, number>();
  const remember = (url: string | undefined | null, at: number) => {
    if (!url) return;
    if (notBefore.size >= MAX_TRACKED) notBefore.delete(notBefore.keys().next().value as string);
    notBefore.set(url, at);
  };
  return {
    name: "armbridgeRetryAfter",
    async sendRequest(request, next) {
      if (request.method === "GET") {
        const until = notBefore.get(request.url);
        notBefore.delete(request.url);
        if (until !== undefined && until > now()) {
          await wait(until - now(), request.abortSignal as AbortSignal | undefined);
        }
      }
      const response = await next(request);
      const ms = parseRetryAfter(response.headers.get("retry-after"));
      if (ms && ms > 0 && (response.status === 201 || response.status === 202 || request.method === "GET")) {
        const at = now() + ms;
        remember(response.headers.get("azure-asyncoperation"), at);
        remember(response.headers.get("location"), at);
        if (request.method === "GET" && response.status === 202) remember(request.url, at);
      }
      return response;
    },
  };
}
