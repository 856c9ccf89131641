// Runs accepted jobs under the managed identity: bounded concurrency, durable retries with backoff,
// dead letters, and a clean stop that hands unfinished jobs back to the store.
import type { Logger } from "pino";
import type { ArmClients } from "../azure/arm-clients.ts";
import type { Config } from "../config/schema.ts";
import { settledWithin, timeLeft } from "../kernel/deadline.ts";
import type { OperationDefinition } from "../operations/operation.ts";
import type { BridgeMetrics } from "../telemetry/metrics.ts";
import { type AttemptOutcome, attempt, type ChangeAuthorizer } from "./attempt.ts";
import { type Job, type JobError, ROUTE_EVENT } from "./job.ts";
import { jobRecord } from "./job-audit.ts";
import { type RetryPolicy, retryDelayMs } from "./retry.ts";
import type { JobStore } from "./store.ts";

export interface WorkerDeps {
  store: JobStore;
  /** The ARM clients, built (and the Azure SDK loaded) when the first job runs rather than at start. */
  arm: () => Promise<ArmClients>;
  /** Looks a job's operation up by name; the process passes the catalog's, so jobs/ does not hold the list. */
  findOperation: (name: string) => OperationDefinition | undefined;
  /** See AttemptDeps: whether a job's caller may change a resource (deployments check each one). */
  authorizeChange: ChangeAuthorizer;
  logger: Logger;
  settings: Config["jobs"];
  metrics: BridgeMetrics;
  /** This process's telemetry instance (see AttemptDeps). */
  instanceId: string;
  /** Told after a job reached a terminal state (and its audit record was stored). */
  onFinished?: (jobId: string) => void;
  /**
   * Routes a held event (a ROUTE_EVENT job) again with the current config: its jobs, or why it still
   * cannot run. Throws when the store cannot take the jobs now (the job is tried again later).
   */
  routeEvent?: (job: Job) => Promise<{ ok: true; jobs: string[] } | { ok: false; error: JobError }>;
}

export interface Worker {
  start(): Promise<void>;
  /** Wakes the loop at once, e.g. after new jobs were accepted. */
  wake(): void;
  /** Stops claiming, lets running jobs finish until the deadline, then hands the rest back to the store. */
  stop(deadlineMs: number): Promise<void>;
}

type Terminal = "succeeded" | "failed" | "dead";

export function createWorker({
  store,
  arm,
  findOperation,
  authorizeChange,
  logger,
  settings,
  metrics,
  instanceId,
  onFinished,
  routeEvent,
}: WorkerDeps): Worker {
  const retry: RetryPolicy = { baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs };
  const running = new Map<string, Promise<void>>();
  /** Aborts the ARM calls still running when the shutdown deadline passes. */
  const shutdown = new AbortController();
  let stopping = false;
  let wakeUp: (() => void) | undefined;
  /** Set by a wake that came while the worker was claiming, not sleeping: the next claim follows at once. */
  let woken = false;
  const wake = () => {
    woken = true;
    wakeUp?.();
  };
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

  async function finish(job: Job, state: Terminal, outcome: { result?: unknown; error?: JobError }) {
    const record = jobRecord(job, state, outcome.error);
    await store.finish(job.id, state, outcome, record);
    metrics.job(state, job.operation);
    onFinished?.(job.id);
  }

  async function settle(job: Job, outcome: AttemptOutcome, log: Logger): Promise<void> {
    switch (outcome.kind) {
      case "succeeded":
        await finish(job, "succeeded", { result: outcome.result });
        log.info({ attempts: job.attempts, alreadyApplied: outcome.alreadyApplied }, "job succeeded");
        return;
      case "failed":
        await finish(job, "failed", { error: outcome.error });
        log.warn({ error: outcome.error }, "job failed");
        return;
      case "interrupted":
        // Stopped by shutdown, not by Azure. The attempt still counts: its write may have reached ARM,
        // and a counted attempt makes the next one check before it sends the write again.
        await store.reschedule(job.id, new Date(), undefined, false);
        return;
      case "retry": {
        const { error } = outcome;
        const delay = retryDelayMs(job.attempts, outcome.retryAfterMs, retry);
        const deadline = Date.parse(job.acceptedAt) + settings.maxAgeSeconds * 1000;
        if (outcome.reachedArm && job.attempts >= settings.maxAttempts) {
          await finish(job, "dead", {
            error: { ...error, message: `gave up after ${job.attempts} attempts: ${error.message}` },
          });
          log.error({ error }, "job dead-lettered");
        } else if (Date.now() + delay > deadline) {
          await finish(job, "dead", {
            error: {
              ...error,
              message: `exceeded the maximum age of ${settings.maxAgeSeconds} s: ${error.message}`,
            },
          });
          log.error({ error }, "job dead-lettered");
        } else {
          // A missing token never reached ARM, so it does not use up the job's attempts.
          await store.reschedule(job.id, new Date(Date.now() + delay), error, !outcome.reachedArm);
          metrics.job("retrying", job.operation);
          log.info({ error, delayMs: delay }, "job will be retried");
        }
        return;
      }
    }
  }

  /** A held event: its jobs once it routes, else dead with the reason, for an operator to retry. */
  async function route(job: Job, log: Logger): Promise<void> {
    if (!routeEvent) {
      await finish(job, "dead", { error: { code: "NotRoutable", message: "no router in this process" } });
      return;
    }
    let routed: Awaited<ReturnType<typeof routeEvent>>;
    try {
      routed = await routeEvent(job);
    } catch (err) {
      const error = { code: "Unavailable", message: (err as Error).message };
      await store.reschedule(
        job.id,
        new Date(Date.now() + retryDelayMs(job.attempts, undefined, retry)),
        error,
        false,
      );
      return;
    }
    if (routed.ok) {
      await finish(job, "succeeded", { result: { jobs: routed.jobs } });
      log.info({ jobs: routed.jobs }, "held event routed");
    } else {
      await finish(job, "dead", { error: routed.error });
      log.warn({ error: routed.error }, "event held: it does not make allowed operations");
    }
  }

  async function run(job: Job): Promise<void> {
    const log = logger.child({ jobId: job.id, operation: job.operation, callerId: job.caller.id });
    if (job.operation === ROUTE_EVENT) return route(job, log);
    const operation = findOperation(job.operation);
    if (!operation) {
      await finish(job, "failed", { error: { code: "UnknownOperation", message: job.operation } });
      return;
    }
    await settle(
      job,
      await attempt(job, operation, {
        store,
        arm: await arm(),
        authorizeChange,
        signal: shutdown.signal,
        instanceId,
      }),
      log,
    );
  }

  async function tick(): Promise<void> {
    const free = settings.concurrency - running.size;
    if (free <= 0) return;
    const jobs = await store.claim(free, settings.leaseSeconds * 1000, {
      serializeByScope: settings.serializeByScope,
    });
    for (const job of jobs) {
      const done = run(job)
        .catch((err) => logger.error({ err, jobId: job.id }, "job bookkeeping failed"))
        .finally(() => {
          running.delete(job.id);
          wake();
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
          woken = false;
          try {
            await tick();
          } catch (err) {
            logger.error({ err }, "worker could not claim jobs");
          }
          // Jobs accepted (or slots freed) during the claim would otherwise wait for the next poll.
          if (!stopping && !woken) await sleep(settings.pollIntervalMs);
        }
      })();
    },
    wake,
    async stop(deadlineMs) {
      // Stop claiming first; running jobs get until the deadline, then their calls are aborted and
      // the jobs go back to the store (long-running ones with their poller) for the next start. Every
      // wait is bounded: a store or ARM that does not answer never holds the stop past the deadline.
      const until = Date.now() + deadlineMs;
      // What handing the aborted jobs back to the store may take, out of the deadline.
      const handBack = Math.min(1000, deadlineMs / 5);
      stopping = true;
      wakeUp?.();
      await settledWithin(loop ?? Promise.resolve(), timeLeft(until) - handBack);
      await settledWithin(Promise.allSettled([...running.values()]), timeLeft(until) - handBack);
      shutdown.abort();
      const handedBack = await settledWithin(Promise.allSettled([...running.values()]), timeLeft(until));
      if (!handedBack) {
        logger.warn(
          { running: running.size },
          "stopped before every job was handed back; they run again after their lease or at the next start",
        );
      }
    },
  };
}
