// Builds armbridge as main.ts does (createRuntime), against a fresh emulator and a temporary data dir.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { type Emulator, type EmulatorOptions, startEmulator } from "@armbridge/azure-emulator";
import { parseConfig } from "../../src/config/load.ts";
import type { Job } from "../../src/jobs/job.ts";
import { TERMINAL_STATES } from "../../src/jobs/job.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import type { Telemetry } from "../../src/telemetry/setup.ts";

export const SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";
export const HOOK_SECRET = "integration-hook-secret";

export const BASE_CONFIG = `
callers:
  - { id: ci, kind: github-webhook, secrets: [{ env: HOOK_SECRET }, { env: HOOK_SECRET_NEXT }] }
hooks:
  - { id: deploy, callers: [ci] }
grants:
  - caller: ci
    operations: [resourceGroup.ensure]
    scopes: ["/subscriptions/${SUBSCRIPTION}/resourceGroups/app-*"]
routes:
  - id: push-ensures-group
    trigger: { hook: deploy, events: [push] }
    actions:
      - operation: resourceGroup.ensure
        parameters:
          subscriptionId: "${SUBSCRIPTION}"
          resourceGroupName: "{{ event.data.group }}"
          location: westeurope
          tags: { repository: "{{ caller.claims.repository ?? \\"none\\" }}" }
`;

export interface Harness {
  runtime: Runtime;
  emulator: Emulator;
  /** The temporary data directory (the SQLite file is `armbridge.db` in it). */
  dataDir: string;
  /** Every log line written, parsed. */
  logs: Record<string, unknown>[];
  request(path: string, init?: RequestInit): Promise<Response>;
  waitForJob(id: string, timeoutMs?: number): Promise<Job>;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    config?: string;
    emulator?: EmulatorOptions;
    jobs?: Record<string, number>;
    telemetry?: Telemetry;
    /** Environment the config's secret references resolve against. */
    env?: Record<string, string>;
  } = {},
): Promise<Harness> {
  const emulator = await startEmulator({
    subscriptions: [SUBSCRIPTION],
    lro: { durationMs: 50 },
    ...options.emulator,
  });
  const dataDir = mkdtempSync(join(tmpdir(), "armbridge-it-"));
  const parsed = parseConfig(
    options.config ?? BASE_CONFIG,
    { HOOK_SECRET, HOOK_SECRET_NEXT: "rotated-in-secret", ...options.env },
    operationNames,
  );
  const config = {
    ...parsed,
    dataDir,
    azure: {
      ...parsed.azure,
      resourceManagerEndpoint: emulator.armUrl,
      imdsEndpoint: emulator.imdsUrl,
      pollIntervalMs: 20,
    },
    jobs: { ...parsed.jobs, pollIntervalMs: 20, ...options.jobs },
  };
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const runtime = createRuntime(config, {
    logger: createLogger("info", sink),
    trustedCaPem: emulator.caCertPem,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
  });
  await runtime.start();
  return {
    runtime,
    emulator,
    dataDir,
    logs,
    request: async (path, init) => runtime.app.request(path, init),
    async waitForJob(id, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const job = await runtime.store.get(id);
        if (job && TERMINAL_STATES.has(job.state)) {
          // The store's writer thread commits before the worker hears of it, so a read can see the
          // terminal state before the worker's metrics and log line: one more write (a purge of
          // nothing) is answered only after the worker has handled the commit before it.
          await runtime.store.purgeAudit(new Date(0));
          return job;
        }
        if (Date.now() > until) throw new Error(`job ${id} still ${job?.state} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await runtime.stop(1000);
      await emulator.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
