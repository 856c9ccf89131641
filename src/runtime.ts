// Wires the real dependencies for a config: credential, ARM clients, store, worker and app.
// main.ts serves what this builds; tests build the same thing against the emulator.

import { flushCompileCache } from "node:module";
import { join } from "node:path";
import type { Hono } from "hono";
import { createApp } from "./app.ts";
import { createAuditOutbox } from "./audit/outbox.ts";
import { startAuditRetention } from "./audit/retention.ts";
import { armCallRecord } from "./azure/arm-call-record.ts";
import type { ArmClients } from "./azure/arm-clients.ts";
import { createManagedIdentityCredential } from "./azure/credential.ts";
import { createThrottleLimiter, shareOfThrottle } from "./azure/throttle.ts";
import type { Config } from "./config/schema.ts";
import { routeHeldEvent } from "./ingress/held-events.ts";
import { deferredJobStore } from "./jobs/deferred-store.ts";
import { createJobProgressReader } from "./jobs/progress.ts";
import { openSqliteJobStore } from "./jobs/sqlite/store.ts";
import type { JobStore } from "./jobs/store.ts";
import { createJobWaiter } from "./jobs/waiter.ts";
import { createWorker, type Worker } from "./jobs/worker.ts";
import { settledWithin, timeLeft } from "./kernel/deadline.ts";
import { newId } from "./kernel/ids.ts";
import { findOperation } from "./operations/catalog.ts";
import { authorizeResourceChange, createAuthorizer } from "./policy/authorize.ts";
import type { Logger } from "./telemetry/logger.ts";
import { countTokenRefreshes, noopMetrics } from "./telemetry/metrics.ts";
import type { Telemetry } from "./telemetry/setup.ts";

export interface Runtime {
  app: Hono;
  store: JobStore;
  worker: Worker;
  /** Starts the worker (after recovering jobs a previous process left running). */
  start(): Promise<void>;
  /** Drains the worker, writes the audit records kept for later, and closes the store, all within the deadline. */
  stop(deadlineMs: number): Promise<void>;
}

export interface RuntimeOptions {
  logger: Logger;
  /** Extra CA certificate (PEM) to trust for ARM calls; `azure.caCertFile` otherwise. */
  trustedCaPem?: string;
  /** Started before the runtime (main.ts does); without it spans and metrics go nowhere. */
  telemetry?: Pick<Telemetry, "metrics" | "instanceId"> &
    Partial<Pick<Telemetry, "instrumentAzureSdk" | "scrapeMetrics">>;
  /** The SQLite store of `config`, opened earlier (start.ts does, so its writer thread boots meanwhile); the runtime closes it. */
  store?: JobStore;
}

export function createRuntime(
  config: Config,
  { logger, trustedCaPem, telemetry, store: opened }: RuntimeOptions,
): Runtime {
  const metrics = telemetry?.metrics ?? noopMetrics();
  const instanceId = telemetry?.instanceId ?? newId();
  const credential = countTokenRefreshes(createManagedIdentityCredential(config.azure), metrics);
  // The one place that knows which engine runs; everything else sees a JobStore.
  const storeConfig = config.store;
  const store =
    opened ??
    (storeConfig.engine === "azure-storage"
      ? deferredJobStore(async () =>
          (await import("./jobs/azure-storage/store.ts")).openAzureStorageJobStore(storeConfig, credential),
        )
      : openSqliteJobStore(join(config.dataDir, "armbridge.db")));
  let closed = false;
  // Nothing to observe once the store is closed: the last metric export must not read it.
  metrics.observeQueue(() => (closed ? Promise.resolve(undefined) : store.countUnfinished()));
  // ARM call records are written beside the call, never in its way: a store outage keeps them for later.
  const outbox = createAuditOutbox(store, logger);
  const replicas = storeConfig.engine === "azure-storage" ? storeConfig.replicas : 1;
  // ARM's buckets are per principal, and replicas share the principal: each keeps its share.
  const limiter = createThrottleLimiter(shareOfThrottle(config.azure.throttle, replicas));
  let armClients: Promise<ArmClients> | undefined;
  // The Azure SDK is a good part of the start-up time: it is loaded when the first job runs.
  const arm = () =>
    (armClients ??= (async () => {
      await telemetry?.instrumentAzureSdk?.();
      const { createArmClients } = await import("./azure/arm-clients.ts");
      // The SDK's modules join Node's compile cache now, not only at a clean exit (see start.ts).
      setImmediate(flushCompileCache);
      return createArmClients(credential, config.azure, {
        ...(trustedCaPem ? { extraCaPem: trustedCaPem } : {}),
        ...(config.audit.callerTag ? { callerTag: config.audit.callerTag } : {}),
        limiter,
        // Every ARM request a job makes is in the audit log before its response is acted on, unless the
        // store cannot take it now: then it is written later, and ARM's answer is acted on regardless.
        onCall: async (call) => {
          metrics.armCall(call.attribution?.operation ?? "(none)", call.method, call.status);
          const record = armCallRecord(call);
          if (record) await outbox.record(record);
        },
        onThrottleWait: (kind, ms) => metrics.throttleWait(kind, ms),
      });
    })());
  const waiter = createJobWaiter(store);
  const authorize = createAuthorizer(config.grants);
  const worker = createWorker({
    store,
    arm,
    findOperation,
    authorizeChange: (job, resourceId) =>
      authorizeResourceChange(authorize, job.caller.id, job.operation, resourceId),
    logger,
    settings: config.jobs,
    metrics,
    instanceId,
    onFinished: (id) => waiter.notify(id),
    routeEvent: routeHeldEvent(config, {
      store,
      logger,
      metrics,
      instanceId,
      onAccepted: () => worker.wake(),
    }),
  });
  const tokenScope = `${config.azure.audience.replace(/\/$/, "")}/.default`;
  const app = createApp({
    config,
    store,
    waiter,
    logger,
    arm,
    metrics,
    instanceId,
    ...(telemetry?.scrapeMetrics ? { scrapeMetrics: telemetry.scrapeMetrics } : {}),
    jobProgress: createJobProgressReader({
      arm,
      findOperation,
      onError: (job, err) => logger.debug({ jobId: job.id, err }, "job progress not read from ARM"),
    }),
    onAccepted: () => worker.wake(),
    readiness: {
      token: async () => {
        // The token request is the Azure SDK's too: its span joins the trace like an ARM call's.
        await telemetry?.instrumentAzureSdk?.();
        await credential.getToken(tokenScope, { abortSignal: AbortSignal.timeout(5000) });
      },
    },
  });
  let retention: { stop(): void } | undefined;
  return {
    app,
    store,
    worker,
    async start() {
      retention = startAuditRetention(store, config.audit.retentionDays, logger);
      await worker.start();
    },
    async stop(deadlineMs) {
      const until = Date.now() + deadlineMs;
      // Kept out of the worker's share: flushing kept audit records and closing the store.
      const reserve = Math.min(1000, deadlineMs / 5);
      retention?.stop();
      await worker.stop(Math.max(0, deadlineMs - reserve));
      outbox.stop();
      await outbox.flush(timeLeft(until) / 2);
      closed = true;
      if (!(await settledWithin(store.close(), timeLeft(until))))
        logger.warn("the store did not close in time");
    },
  };
}
