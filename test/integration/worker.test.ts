// The worker against the emulator: ARM errors become clear job results, throttling and faults are
// ridden out, and a token outage makes jobs wait rather than fail.
import { afterEach, describe, expect, it } from "vitest";
import { githubDelivery } from "../helpers/github.ts";
import { type Harness, HOOK_SECRET, startHarness } from "../helpers/harness.ts";

const OTHER_SUBSCRIPTION = "00000000-0000-0000-0000-00000000dead";

function configFor(subscription: string): string {
  return `
callers: [{ id: ci, kind: github-webhook, secrets: [{ env: HOOK_SECRET }] }]
hooks: [{ id: deploy, callers: [ci] }]
grants: [{ caller: ci, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${subscription}"] }]
routes:
  - id: r
    trigger: { hook: deploy }
    actions:
      - operation: resourceGroup.ensure
        parameters: { subscriptionId: "${subscription}", resourceGroupName: "{{ event.data.group }}", location: westeurope }
`;
}

async function deliver(h: Harness, group: string): Promise<string> {
  const res = await h.request("/hooks/deploy", await githubDelivery(HOOK_SECRET, { group }));
  expect(res.status).toBe(202);
  return ((await res.json()) as { jobs: { id: string }[] }).jobs[0]?.id as string;
}

describe("worker", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("fails a job with ARM's own code and message when ARM answers 404", async () => {
    h = await startHarness({ config: configFor(OTHER_SUBSCRIPTION) });
    const job = await h.waitForJob(await deliver(h, "app-1"));
    expect(job.state).toBe("failed");
    expect(job.error?.status).toBe(404);
    expect(job.error?.code).toBe("SubscriptionNotFound");
    expect(job.error?.message).toContain(OTHER_SUBSCRIPTION);
    expect(job.attempts).toBe(1);
  });

  it("rides out ARM throttling by honouring Retry-After, without surfacing a 429", async () => {
    h = await startHarness({
      config: configFor("00000000-0000-0000-0000-000000000001"),
      emulator: {
        throttle: {
          reads: { burst: 100, perSecond: 100 },
          writes: { burst: 2, perSecond: 1 },
          deletes: { burst: 2, perSecond: 1 },
        },
      },
    });
    const ids = await Promise.all(["app-a", "app-b", "app-c", "app-d"].map((g) => deliver(h as Harness, g)));
    const jobs = await Promise.all(ids.map((id) => (h as Harness).waitForJob(id, 20_000)));
    expect(jobs.map((j) => j.state)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    const throttled = h.emulator.requests({ method: "PUT" }).filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
  });

  it("dead-letters a job that keeps failing transiently, with the reason", async () => {
    h = await startHarness({
      config: configFor("00000000-0000-0000-0000-000000000001"),
      emulator: { faults: { rate: 1, statuses: [503], methods: ["PUT"] } },
      jobs: { maxAttempts: 2, retryBaseMs: 10, retryMaxMs: 20 },
    });
    const job = await h.waitForJob(await deliver(h, "app-dead"), 20_000);
    expect(job.state).toBe("dead");
    expect(job.attempts).toBe(2);
    expect(job.error?.message).toMatch(/^gave up after 2 attempts/);
    expect(job.error?.status).toBe(503);
  });

  it("waits while IMDS cannot give a token, reports not ready, and completes when it is back", async () => {
    h = await startHarness({
      config: configFor("00000000-0000-0000-0000-000000000001"),
      jobs: { retryBaseMs: 50, retryMaxMs: 200 },
    });
    h.emulator.configure({ imdsAvailable: false });
    const id = await deliver(h, "app-later");
    await new Promise((r) => setTimeout(r, 1500));
    const waiting = await h.runtime.store.get(id);
    expect(waiting?.state).not.toMatch(/succeeded|failed|dead/);
    const ready = await h.request("/readyz");
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "not_ready", checks: { token: { ok: false } } });

    h.emulator.configure({ imdsAvailable: true });
    const job = await h.waitForJob(id, 30_000);
    expect(job.state).toBe("succeeded");
    expect((await h.request("/readyz")).status).toBe(200);
  });
});
