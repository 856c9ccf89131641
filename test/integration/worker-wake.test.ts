// A job accepted while the worker is claiming is claimed next, not a poll interval later: under a
// flood of deliveries the worker is claiming most of the time, and each wake used to be lost then.
import { describe, expect, it, vi } from "vitest";
import { createArmClients } from "../../src/azure/arm-clients.ts";
import { createManagedIdentityCredential } from "../../src/azure/credential.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { JobStore } from "../../src/jobs/store.ts";
import { createWorker } from "../../src/jobs/worker.ts";
import { findOperation, operationNames } from "../../src/operations/catalog.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import { noopMetrics } from "../../src/telemetry/metrics.ts";

const config = parseConfig("{}", {}, operationNames);

describe("waking the worker", () => {
  it("claims again at once when woken during a claim", async () => {
    // Our own store interface, not Azure: each claim answers when the test says so, with no jobs.
    const answers: (() => void)[] = [];
    const store = {
      recover: async () => 0,
      claim: () => new Promise<[]>((resolve) => answers.push(() => resolve([]))),
    } as unknown as JobStore;
    const worker = createWorker({
      store,
      arm: async () => createArmClients(createManagedIdentityCredential(config.azure), config.azure),
      findOperation,
      authorizeChange: () => undefined,
      logger: createLogger("silent"),
      settings: { ...config.jobs, pollIntervalMs: 60_000 },
      metrics: noopMetrics(),
      instanceId: "wake-test",
    });
    // The clock is the test's and never moves: only a wake can bring the next claim.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      await worker.start();
      await vi.waitFor(() => expect(answers).toHaveLength(1));
      worker.wake();
      answers[0]?.();
      await vi.waitFor(() => expect(answers).toHaveLength(2));
      // A claim that was not woken sleeps its poll interval.
      answers[1]?.();
      await new Promise((r) => setImmediate(r));
      expect(answers).toHaveLength(2);
      worker.wake();
      await vi.waitFor(() => expect(answers).toHaveLength(3));
      answers[2]?.();
      const stopping = worker.stop(100);
      await vi.advanceTimersByTimeAsync(100);
      await stopping;
    } finally {
      vi.useRealTimers();
    }
  });
});
