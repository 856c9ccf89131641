// The worker against the emulator: ARM errors become clear job results, throttling and faults are
// ridden out or dead-lettered with their reason. One emulator per file: MSAL caches the IMDS
// endpoint and tokens per process.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Harness, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";
import { deliver, routeConfig, UNKNOWN_SUBSCRIPTION } from "../helpers/routes.ts";

describe("worker", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      config: routeConfig([SUBSCRIPTION, UNKNOWN_SUBSCRIPTION]),
      jobs: { maxAttempts: 2, retryBaseMs: 10, retryMaxMs: 20 },
    });
  });
  afterEach(() => h.emulator.configure({ faults: { rate: 0 }, throttle: false }));
  afterAll(async () => {
    await h?.close();
  });

  it("fails a job with ARM's own code and message when ARM answers 404", async () => {
    const job = await h.waitForJob(await deliver(h, "app-1", "to-1"));
    expect(job.state).toBe("failed");
    expect(job.error?.status).toBe(404);
    expect(job.error?.code).toBe("SubscriptionNotFound");
    expect(job.error?.message).toContain(UNKNOWN_SUBSCRIPTION);
    expect(job.attempts).toBe(1);
  });

  it("rides out ARM throttling by honouring Retry-After, without surfacing a 429", async () => {
    h.emulator.configure({
      throttle: {
        reads: { burst: 100, perSecond: 100 },
        writes: { burst: 2, perSecond: 1 },
        deletes: { burst: 2, perSecond: 1 },
      },
    });
    const ids = await Promise.all(["app-a", "app-b", "app-c", "app-d"].map((g) => deliver(h, g)));
    const jobs = await Promise.all(ids.map((id) => h.waitForJob(id, 20_000)));
    expect(jobs.map((j) => j.state)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    const throttled = h.emulator.requests({ method: "PUT" }).filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
  });

  it("dead-letters a job that keeps failing transiently, with the reason", async () => {
    h.emulator.configure({ faults: { rate: 1, statuses: [503], methods: ["PUT"] } });
    const job = await h.waitForJob(await deliver(h, "app-dead"), 20_000);
    expect(job.state).toBe("dead");
    expect(job.attempts).toBe(2);
    expect(job.error?.message).toMatch(/^gave up after 2 attempts/);
    expect(job.error?.status).toBe(503);
  });
});
