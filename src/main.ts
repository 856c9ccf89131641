#!/usr/bin/env node
// Entry point: load the config, wire the real dependencies, serve, and shut down cleanly on signals.
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { createApp } from "./app.ts";
import { createArmClients } from "./azure/arm-clients.ts";
import { createManagedIdentityCredential } from "./azure/credential.ts";
import { ConfigError, loadProcessConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { startEmulator } from "./emulator/index.ts";
import { openSqliteJobStore } from "./jobs/sqlite-store.ts";
import { createWorker } from "./jobs/worker.ts";
import { operationNames } from "./operations/catalog.ts";
import { createLogger } from "./telemetry/logger.ts";

async function main(argv: string[]): Promise<void> {
  let loaded: { path: string; config: Config };
  try {
    loaded = loadProcessConfig(argv, operationNames);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`armbridge: ${err.message}\n`);
    process.exit(2);
  }
  const { config } = loaded;
  const logger = createLogger(config.telemetry.logLevel);

  let azure = config.azure;
  let trustedCa: string | undefined;
  const emulator = config.emulator.enabled
    ? await startEmulator({
        armPort: config.emulator.armPort,
        imdsPort: config.emulator.imdsPort,
        subscriptions: config.emulator.subscriptions,
      })
    : undefined;
  if (emulator) {
    azure = { ...azure, resourceManagerEndpoint: emulator.armUrl, imdsEndpoint: emulator.imdsUrl };
    trustedCa = emulator.caCertPem;
    logger.info({ arm: emulator.armUrl, imds: emulator.imdsUrl }, "local Azure emulator started in-process");
  }

  const credential = createManagedIdentityCredential(azure);
  const arm = createArmClients(credential, azure, trustedCa);
  const store = openSqliteJobStore(join(config.dataDir, "armbridge.db"));
  const worker = createWorker({ store, arm, logger, settings: config.jobs });
  const tokenScope = `${azure.audience.replace(/\/$/, "")}/.default`;
  const app = createApp({
    config,
    store,
    logger,
    onAccepted: () => worker.wake(),
    readiness: {
      token: async () => {
        const token = await credential.getToken(tokenScope, { abortSignal: AbortSignal.timeout(5000) });
        if (!token) throw new Error("the managed identity returned no token");
      },
    },
  });

  await worker.start();
  const server = serve({ fetch: app.fetch, hostname: config.server.host, port: config.server.port }, (info) => {
    logger.info({ url: `http://${hostOf(info)}:${info.port}`, config: loaded.path }, "armbridge listening");
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadlineMs = config.server.shutdownTimeoutSeconds * 1000;
    logger.info({ signal, deadlineMs }, "shutting down: no new requests, draining running jobs");
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if ("closeIdleConnections" in server) server.closeIdleConnections();
    await worker.stop(deadlineMs);
    await closed;
    await store.close();
    await emulator?.stop();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

function hostOf(info: AddressInfo): string {
  return info.family === "IPv6" ? `[${info.address}]` : info.address;
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`armbridge: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
  process.exit(1);
});
