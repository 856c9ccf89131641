// Long-running ARM operations: how an operation starts (or, after a restart, resumes) a poller and
// waits for its terminal state.
import type { LongRunningPoller, OperationContext } from "./operation.ts";

/** Options every long-running SDK call gets: the job's abort signal and the configured poll interval. */
export function lroOptions(ctx: OperationContext): { abortSignal: AbortSignal; updateIntervalInMs: number } {
  return { abortSignal: ctx.signal, updateIntervalInMs: ctx.arm.pollIntervalMs };
}

/**
 * A write's long-running operation: started once, its poller state stored with the job, and after a
 * restart rebuilt from that state (`restore`, the SDK's restorePoller) instead of sending the write again.
 */
export function trackedWrite<T>(
  ctx: OperationContext,
  start: () => LongRunningPoller<T>,
  restore: (state: string) => LongRunningPoller<T>,
): Promise<T> {
  return ctx.trackLongRunning(ctx.resumeFrom ? restore(ctx.resumeFrom) : start());
}

/** A read-only long-running call (validate, what-if): simply polled; running it again is harmless. */
export function untilDone<T>(poller: LongRunningPoller<T>, ctx: OperationContext): Promise<T> {
  return poller.pollUntilDone({ abortSignal: ctx.signal });
}
