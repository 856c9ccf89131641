// Stopping keeps to its deadline whatever the store does, and the last metric collection after the
// stop reads no closed store (the periodic exporter's ERR_INVALID_STATE).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { describe, expect, it, vi } from "vitest";
import { createArmClients } from "../../src/azure/arm-clients.ts";
import { createManagedIdentityCredential } from "../../src/azure/credential.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { JobStore } from "../../src/jobs/store.ts";
import { createWorker } from "../../src/jobs/worker.ts";
import { findOperation, operationNames } from "../../src/operations/catalog.ts";
import { createRuntime } from "../../src/runtime.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import { createMetrics, noopMetrics } from "../../src/telemetry/metrics.ts";

class TestMetricReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const config = parseConfig("{}", {}, operationNames);

describe("stopping", () => {
  it("leaves the last metric collection nothing closed to read", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "armbridge-stop-"));
    const reader = new TestMetricReader();
    const provider = new MeterProvider({ readers: [reader] });
    try {
      const runtime = createRuntime(
        { ...config, dataDir },
        {
          logger: createLogger("silent"),
          telemetry: { metrics: createMetrics(provider.getMeter("test")), instanceId: "stop-test" },
        },
      );
      await runtime.start();
      const before = await reader.collect();
      expect(before.errors).toEqual([]);
      await runtime.stop(1000);
      const after = await reader.collect();
      expect(after.errors).toEqual([]);
    } finally {
      await provider.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("returns by its deadline when the store never answers", async () => {
    // Our own store interface, not Azure: a store whose account has become unreachable.
    let claims = 0;
    const never = () => new Promise<never>(() => {});
    const hanging = {
      recover: async () => 0,
      claim: () => {
        claims++;
        return never();
      },
      reschedule: never,
      finish: never,
    } as unknown as JobStore;
    const settings = { ...config.jobs, pollIntervalMs: 10 };
    const worker = createWorker({
      store: hanging,
      arm: async () => createArmClients(createManagedIdentityCredential(config.azure), config.azure),
      findOperation,
      authorizeChange: () => undefined,
      logger: createLogger("silent"),
      settings,
      metrics: noopMetrics(),
      instanceId: "stop-test",
    });
    // The clock is the test's: the deadline and a hundred poll intervals pass without sleeping.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      await worker.start();
      // The loop is now waiting on a claim that never comes back.
      await new Promise((r) => setImmediate(r));
      expect(claims).toBe(1);
      let stopped = false;
      const stopping = worker.stop(200).then(() => {
        stopped = true;
      });
      await vi.advanceTimersByTimeAsync(200);
      expect(stopped).toBe(true);
      await stopping;
      // Stopped: no further claim, though the first never came back.
      await vi.advanceTimersByTimeAsync(100 * settings.pollIntervalMs);
      expect(claims).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
