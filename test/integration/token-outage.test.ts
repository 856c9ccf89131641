// IMDS down at start: jobs wait (they do not fail), readiness says why, and both recover with IMDS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";
import { deliver, routeConfig } from "../helpers/routes.ts";

describe("token outage", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      config: routeConfig([SUBSCRIPTION]),
      jobs: { retryBaseMs: 50, retryMaxMs: 200 },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("waits while IMDS cannot give a token, reports not ready, and completes when it is back", async () => {
    h.emulator.configure({ imdsAvailable: false });
    const id = await deliver(h, "app-later");
    // Until the worker has taken the job up (bounded; no fixed sleep standing in for it).
    const takenUp = async () => {
      const job = await h.runtime.store.get(id);
      return job !== undefined && (job.state !== "accepted" || job.error !== undefined);
    };
    for (let i = 0; i < 300 && !(await takenUp()); i++) await new Promise((r) => setTimeout(r, 50));
    const waiting = await h.runtime.store.get(id);
    // Either still inside the SDK's IMDS retries, or rescheduled with the reason.
    if (waiting?.state === "accepted") expect(waiting.error?.code).toBe("TokenUnavailable");
    expect(waiting?.state).toMatch(/^(accepted|running)$/);
    const ready = await h.request("/readyz");
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "not_ready", checks: { token: { ok: false } } });

    h.emulator.configure({ imdsAvailable: true });
    const job = await h.waitForJob(id, 30_000);
    expect(job.state).toBe("succeeded");
    expect(job.attempts).toBeLessThanOrEqual(1);
    expect((await h.request("/readyz")).status).toBe(200);
  });
});
