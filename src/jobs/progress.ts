// A running job's progress as its operation reads it from ARM (a deployment's resource operations),
// for the job's status view. Best effort: a status answer never fails because ARM could not be read.
import type { ArmClients } from "../azure/arm-clients.ts";
import type { OperationDefinition, OperationProgress } from "../operations/operation.ts";
import type { Job } from "./job.ts";

/** How long a status request waits for ARM's answer before it answers without progress. */
const PROGRESS_TIMEOUT_MS = 5000;
const RUNNING = new Set(["running", "waiting"]);

export type JobProgressReader = (job: Job) => Promise<OperationProgress | undefined>;

export function createJobProgressReader(deps: {
  /** ARM under the managed identity, built on first use (a running job has already built it). */
  arm: () => Promise<ArmClients>;
  findOperation: (name: string) => OperationDefinition | undefined;
  onError?: (job: Job, err: unknown) => void;
}): JobProgressReader {
  return async (job) => {
    if (!RUNNING.has(job.state)) return undefined;
    const operation = deps.findOperation(job.operation);
    if (!operation?.progress) return undefined;
    const parsed = operation.input.safeParse(job.params);
    if (!parsed.success) return undefined;
    try {
      return await operation.progress(parsed.data, {
        arm: await deps.arm(),
        signal: AbortSignal.timeout(PROGRESS_TIMEOUT_MS),
      });
    } catch (err) {
      deps.onError?.(job, err);
      return undefined;
    }
  };
}
