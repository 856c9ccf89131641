// Provider actions (`POST {resourceId}/{action}`, e.g. a VM's start) have no typed SDK method, so they
// go through the ARM rest client on the same pipeline, and their long-running answer is followed here:
// `Azure-AsyncOperation` (status in the body) or `Location` (202 until done).
import type { Client, PathUncheckedResponse } from "@azure-rest/core-client";
import { ArmOperationError, armErrorFromBody } from "./errors.ts";
import { parseRetryAfter } from "./throttle.ts";

export interface ActionRequest {
  resourceId: string;
  action: string;
  apiVersion: string;
  body?: unknown;
}

export async function invokeProviderAction(
  rest: Client,
  request: ActionRequest,
  options: { signal: AbortSignal; pollIntervalMs: number },
): Promise<unknown> {
  const first = await rest.pathUnchecked(`${request.resourceId}/${request.action}`).post({
    queryParameters: { "api-version": request.apiVersion },
    ...(request.body === undefined ? {} : { body: request.body }),
    abortSignal: options.signal,
  });
  failOnError(first);
  let response = first;
  const asyncUrl = header(first, "azure-asyncoperation");
  const locationUrl = header(first, "location");
  if (first.status !== "202" && first.status !== "201") return first.body ?? null;
  for (;;) {
    // Retry-After is honoured on every poll; "0" (or none) means the configured interval, as in the SDK.
    const retryAfterMs = parseRetryAfter(header(response, "retry-after")) ?? 0;
    await sleep(retryAfterMs > 0 ? retryAfterMs : options.pollIntervalMs, options.signal);
    const url = asyncUrl ?? locationUrl;
    if (!url) return null;
    response = await rest.pathUnchecked(url).get({ abortSignal: options.signal });
    failOnError(response);
    if (asyncUrl) {
      const status = String((response.body as { status?: unknown } | undefined)?.status ?? "");
      if (status === "Succeeded") return null;
      if (status === "Failed" || status === "Canceled") {
        throw (
          armErrorFromBody(response.body) ??
          new ArmOperationError(status, `action '${request.action}' ${status}`)
        );
      }
    } else if (response.status !== "202") {
      return response.body ?? null;
    }
  }
}

function failOnError(response: PathUncheckedResponse): void {
  const status = Number(response.status);
  if (status < 400) return;
  throw (
    armErrorFromBody(response.body, status) ??
    new ArmOperationError(`Http${status}`, `ARM answered ${status}`, status)
  );
}

function header(response: PathUncheckedResponse, name: string): string | undefined {
  return response.headers[name] ?? undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
