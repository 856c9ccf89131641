// Long-running ARM operations: how an operation starts a poller and waits for its terminal state.
import type { OperationContext } from "./operation.ts";

interface Poller<T> {
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<T>;
}

/** Options every long-running SDK call gets: the job's abort signal and the configured poll interval. */
export function lroOptions(ctx: OperationContext): { abortSignal: AbortSignal; updateIntervalInMs: number } {
  return { abortSignal: ctx.signal, updateIntervalInMs: ctx.arm.pollIntervalMs };
}

/** Waits for a long-running operation to reach Succeeded (resolves) or Failed/Canceled (rejects). */
export function untilDone<T>(poller: Poller<T>, ctx: OperationContext): Promise<T> {
  return poller.pollUntilDone({ abortSignal: ctx.signal });
}
