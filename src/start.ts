// `armbridge serve`: loads the config, serves, and drains on signals.
// Only the config and the SQLite store load before the config is read: the store's writer thread (an
// isolate of its own, tens of ms to boot, and the first 202 waits for its first commit) then starts
// on another core while this thread loads the rest of armbridge.
import { flushCompileCache } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ConfigError, loadProcessConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { openSqliteJobStore } from "./jobs/sqlite/store.ts";
import { trimHeapWhenIdle } from "./kernel/idle-heap.ts";
import { operationNames } from "./operations/catalog.ts";

/** Starts armbridge on the config `argv` names; resolves with its URL once it listens. */
export async function startServer(argv: readonly string[]): Promise<{ url: string }> {
  let loaded: { path: string; config: Config };
  try {
    loaded = loadProcessConfig(argv, operationNames);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`armbridge: ${err.message}\n`);
    process.exit(2);
  }
  const { config } = loaded;
  const store =
    config.store.engine === "sqlite" ? openSqliteJobStore(join(config.dataDir, "armbridge.db")) : undefined;
  const [
    { serve },
    { createManagedIdentityCredential },
    { secretsIn },
    { settledWithin, timeLeft },
    { createRuntime },
    { createLogger, routeLibraryLogs },
    { startTelemetry },
  ] = await Promise.all([
    import("@hono/node-server"),
    import("./azure/credential.ts"),
    import("./config/secret.ts"),
    import("./kernel/deadline.ts"),
    import("./runtime.ts"),
    import("./telemetry/logger.ts"),
    import("./telemetry/setup.ts"),
  ]);
  const exported =
    config.telemetry.connectionString !== undefined || config.telemetry.otlpEndpoint !== undefined;
  const logger = createLogger(config.telemetry.logLevel, undefined, { bridge: exported });

  // Key Vault secrets before anything uses a secret (telemetry's connection string among them). A
  // secret that cannot be read stops the start, naming it; later re-reads keep the last good value.
  // The Key Vault SDK is loaded only when the config names a vault, so other starts stay fast.
  const vaultSecrets = [...secretsIn(config)].filter((s) => s.keyVaultUrl !== undefined);
  const keyVaultSecrets =
    vaultSecrets.length === 0
      ? undefined
      : await (await import("./azure/key-vault-secrets.ts"))
          .startKeyVaultSecrets(vaultSecrets, {
            credential: createManagedIdentityCredential(config.azure),
            azure: config.azure,
            logger,
          })
          .catch((err: Error) => {
            process.stderr.write(`armbridge: ${err.message}\n`);
            process.exit(1);
          });

  // Before the runtime: the Azure SDK clients and the app find the registered providers from the start.
  const telemetry = await startTelemetry(config.telemetry, { dataDir: config.dataDir });
  routeLibraryLogs(logger);
  logger.info({ exporter: telemetry.exporter, instanceId: telemetry.instanceId }, "telemetry started");
  const runtime = createRuntime(config, { logger, telemetry, ...(store ? { store } : {}) });
  await runtime.start();
  let listening: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => {
    listening = resolve;
  });
  const server = serve(
    { fetch: runtime.app.fetch, hostname: config.server.host, port: config.server.port },
    (info) => {
      const at = `http://${hostOf(info)}:${info.port}`;
      logger.info({ url: at, config: loaded.path }, "armbridge listening");
      listening(at);
      // Node writes its compile cache only at a clean exit: a process that is killed (the OOM killer,
      // a stop past its deadline) would leave the next start to compile everything again.
      setImmediate(flushCompileCache);
    },
  );
  // What start-up (the first job's Azure SDK among it) and each burst of work leave committed in the
  // heap goes back once the process is idle.
  const idleHeap = trimHeapWhenIdle();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadlineMs = config.server.shutdownTimeoutSeconds * 1000;
    const until = Date.now() + deadlineMs;
    logger.info({ signal, deadlineMs }, "shutting down: no new requests, draining running jobs");
    // The last resort: whatever ARM, IMDS or the store do, the process is gone by the deadline.
    setTimeout(() => {
      logger.error({ deadlineMs }, "shutdown deadline passed; exiting now");
      process.exit(1);
    }, deadlineMs);
    // Out of the deadline, kept for the last telemetry flush.
    const telemetryShare = Math.min(1000, deadlineMs / 10);
    try {
      // Requests in flight finish (and store their jobs) before the store closes.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ("closeIdleConnections" in server) server.closeIdleConnections();
      await settledWithin(closed, timeLeft(until) - telemetryShare);
      await runtime.stop(Math.max(0, timeLeft(until) - telemetryShare));
      keyVaultSecrets?.stop();
      idleHeap.stop();
      // Flushes the spans and metrics still buffered.
      await settledWithin(telemetry.shutdown(), timeLeft(until));
    } catch (err) {
      logger.error({ err }, "shutdown failed; exiting");
      process.exit(1);
    }
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  return { url: await url };
}

function hostOf(info: AddressInfo): string {
  return info.family === "IPv6" ? `[${info.address}]` : info.address;
}
