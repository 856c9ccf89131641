// One attempt at a job: resume or check before re-sending, execute under the job's attribution, and
// classify what happened. The worker turns the outcome into the job's next state.
import type { ArmClients } from "../azure/arm-clients.ts";
import { describeArmError } from "../azure/errors.ts";
import type { OperationContext, OperationDefinition } from "../operations/operation.ts";
import { type Attribution, callerAttribution, withAttribution } from "../telemetry/attribution.ts";
import type { Job, JobError } from "./job.ts";
import { inJobSpan, inOperationSpan } from "./job-spans.ts";
import type { JobStore } from "./store.ts";

export type AttemptOutcome =
  | { kind: "succeeded"; result: unknown; alreadyApplied: boolean }
  | { kind: "failed"; error: JobError }
  /** `reachedArm` is false when the attempt could not even get a token, so it does not count. */
  | { kind: "retry"; error: JobError; retryAfterMs: number | undefined; reachedArm: boolean }
  | { kind: "interrupted" };

/** Whether a job's caller may change a resource with the job's operation: undefined, or why not. */
export type ChangeAuthorizer = (job: Job, resourceId: string) => string | undefined;

export interface AttemptDeps {
  store: JobStore;
  arm: ArmClients;
  /** Bound to each job's caller and operation for `OperationContext.authorizeChange`. */
  authorizeChange: ChangeAuthorizer;
  signal: AbortSignal;
  /** This process's telemetry instance, to tell whether it accepted the job itself. */
  instanceId: string;
}

export function attributionOf(job: Job): Attribution {
  return {
    ...callerAttribution(job.caller),
    jobId: job.id,
    requestId: job.requestId,
    routeId: job.routeId,
    operation: job.operation,
    scope: job.scope,
    correlationId: job.correlationId,
    // The same on every attempt, so ARM (and its support) can tell a retried call from a new one.
    clientRequestId: job.id,
  };
}

export async function attempt(
  job: Job,
  operation: OperationDefinition,
  deps: AttemptDeps,
): Promise<AttemptOutcome> {
  const parsed = operation.input.safeParse(job.params);
  if (!parsed.success) {
    return { kind: "failed", error: { code: "InvalidParameters", message: parsed.error.message } };
  }
  const ctx: OperationContext = {
    arm: deps.arm,
    signal: deps.signal,
    resumeFrom: job.lroState,
    authorizeChange: (resourceId) => deps.authorizeChange(job, resourceId),
    async trackLongRunning(poller) {
      await poller.submitted();
      // Durable before the first poll: from here on a restart polls instead of sending the write again.
      await deps.store.checkpoint(job.id, await poller.serialize());
      return poller.pollUntilDone({ abortSignal: deps.signal });
    },
  };
  try {
    return await withAttribution(attributionOf(job), () =>
      inJobSpan(job, deps.instanceId, () =>
        inOperationSpan(operation.name, async (): Promise<AttemptOutcome> => {
          // An earlier attempt may have reached ARM (a crash, a timeout, a lost response): look first.
          if (job.attempts > 1 && !job.lroState && operation.checkApplied) {
            const seen = await operation.checkApplied(parsed.data, ctx);
            if (seen.applied) return { kind: "succeeded", result: seen.result, alreadyApplied: true };
          }
          const result = await operation.execute(parsed.data, ctx);
          return { kind: "succeeded", result, alreadyApplied: false };
        }),
      ),
    );
  } catch (err) {
    if (deps.signal.aborted) return { kind: "interrupted" };
    const failure = describeArmError(err);
    const error: JobError = {
      code: failure.code,
      message: failure.message,
      ...(failure.status ? { status: failure.status } : {}),
      ...(failure.details !== undefined ? { details: failure.details } : {}),
    };
    if (!failure.retryable) return { kind: "failed", error };
    return {
      kind: "retry",
      error,
      retryAfterMs: failure.retryAfterMs,
      reachedArm: failure.code !== "TokenUnavailable",
    };
  }
}
