// Runs accepted jobs under the managed identity: bounded concurrency, retries, and a clean stop.
import type { Logger } from "pino";
import type { ArmClients } from "../azure/arm-clients.ts";
import { describeArmError } from "../azure/errors.ts";
import type { Config } from "../config/schema.ts";
import { findOperation } from "../operations/catalog.ts";
import { withAttribution } from "../telemetry/attribution.ts";
import type { Job, JobError } from "./job.ts";
import { type RetryPolicy, retryDelayMs } from "./retry.ts";
import type { JobStore } from "./store.ts";

export interface WorkerDeps {
  store: JobStore;
  arm: ArmClients;
  logger: Logger;
  settings: Config["jobs"];
}

export interface Worker {
  start(): Promise<void>;
  /** Wakes the loop at once, e.g. after new jobs were accepted. */
  wake(): void;
  /** Stops claiming, lets running jobs finish until the deadline, then hands the rest back to the store. */
  stop(deadlineMs: number): Promise<void>;
}

export function createWorker({ store, arm, logger, settings }: WorkerDeps): Worker {
  const retry: RetryPolicy = { baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs };
  const running = new Map<string, Promise<void>>();
  /** Aborts the ARM calls still running when the shutdown deadline passes. */
  const shutdown = new AbortController();
  let stopping = false;
  let wakeUp: (() => void) | undefined;
  let loop: Promise<void> | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });

  async function run(job: Job): Promise<void> {
    const log = logger.child({ jobId: job.id, operation: job.operation, callerId: job.caller.id });
    const operation = findOperation(job.operation);
    if (!operation) {
      await store.finish(job.id, "failed", { error: { code: "UnknownOperation", message: job.operation } });
      return;
    }
    const attribution = {
      jobId: job.id,
      callerId: job.caller.id,
      operation: job.operation,
      scope: job.scope,
      correlationId: job.correlationId,
      clientRequestId: job.id,
    };
    try {
      const params = operation.input.parse(job.params);
      const result = await withAttribution(attribution, () =>
        operation.execute(params, { arm, signal: shutdown.signal }),
      );
      await store.finish(job.id, "succeeded", { result });
      log.info({ attempts: job.attempts }, "job succeeded");
    } catch (err) {
      const failure = describeArmError(err);
      const error: JobError = {
        code: failure.code,
        message: failure.message,
        ...(failure.status ? { status: failure.status } : {}),
        ...(failure.details !== undefined ? { details: failure.details } : {}),
      };
      if (shutdown.signal.aborted) {
        // Interrupted by shutdown, not by Azure: the attempt does not count.
        await store.reschedule(job.id, new Date(), undefined, true);
      } else if (!failure.retryable) {
        await store.finish(job.id, "failed", { error });
        log.warn({ error }, "job failed");
      } else if (failure.code === "TokenUnavailable" || job.attempts < settings.maxAttempts) {
        // A missing token never reached ARM, so it does not use up the job's attempts.
        const delay = retryDelayMs(job.attempts, failure.retryAfterMs, retry);
        await store.reschedule(
          job.id,
          new Date(Date.now() + delay),
          error,
          failure.code === "TokenUnavailable",
        );
        log.info({ error, delayMs: delay }, "job will be retried");
      } else {
        await store.finish(job.id, "dead", {
          error: { ...error, message: `gave up after ${job.attempts} attempts: ${error.message}` },
        });
        log.error({ error }, "job dead-lettered");
      }
    }
  }

  async function tick(): Promise<void> {
    const free = settings.concurrency - running.size;
    if (free <= 0) return;
    const jobs = await store.claim(free, settings.leaseSeconds * 1000);
    for (const job of jobs) {
      const done = run(job)
        .catch((err) => logger.error({ err, jobId: job.id }, "job bookkeeping failed"))
        .finally(() => {
          running.delete(job.id);
          wakeUp?.();
        });
      running.set(job.id, done);
    }
  }

  return {
    async start() {
      const recovered = await store.recover();
      if (recovered > 0) logger.info({ recovered }, "resuming jobs left running by a previous process");
      loop = (async () => {
        while (!stopping) {
          try {
            await tick();
          } catch (err) {
            logger.error({ err }, "worker could not claim jobs");
          }
          if (!stopping) await sleep(settings.pollIntervalMs);
        }
      })();
    },
    wake() {
      wakeUp?.();
    },
    async stop(deadlineMs) {
      // Stop claiming first; running jobs get until the deadline, then their calls are aborted
      // and the jobs go back to the store for the next start.
      stopping = true;
      wakeUp?.();
      await loop;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      });
      await Promise.race([Promise.allSettled([...running.values()]), deadline]);
      clearTimeout(timer);
      shutdown.abort();
      await Promise.allSettled([...running.values()]);
    },
  };
}
