// Under 20% injected 500/503/429 and 5% hanging requests, every job ends succeeded, or dead with its
// reason; none is lost, none fails for a transient cause, and each has its terminal audit record.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubDelivery } from "../helpers/github.ts";
import { type Harness, HOOK_SECRET, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";

const CONFIG = `
azure:
  requestTimeoutMs: 300
  retry: { maxRetries: 2, retryDelayMs: 20, maxRetryDelayMs: 100 }
callers: [{ id: ci, kind: github-webhook, secrets: [{ env: HOOK_SECRET }] }]
hooks: [{ id: deploy, callers: [ci] }]
grants: [{ caller: ci, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUBSCRIPTION}"] }]
routes:
  - id: r
    trigger: { hook: deploy }
    actions:
      - operation: resourceGroup.ensure
        parameters: { subscriptionId: "${SUBSCRIPTION}", resourceGroupName: "{{ event.data.group }}", location: westeurope }
`;

describe("worker under injected faults", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      config: CONFIG,
      emulator: {
        faults: { rate: 0.2, statuses: [500, 503, 429], timeoutRate: 0.05, timeoutMs: 2000, seed: 42 },
      },
      jobs: { concurrency: 8, maxAttempts: 6, retryBaseMs: 20, retryMaxMs: 200 },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("ends every job succeeded or dead with its reason, and loses none", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await h.request("/hooks/deploy", await githubDelivery(HOOK_SECRET, { group: `app-${i}` }));
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { jobs: { id: string }[] }).jobs[0]?.id as string);
    }
    const jobs = await Promise.all(ids.map((id) => h.waitForJob(id, 45_000)));

    expect(jobs.filter((j) => j.state !== "succeeded" && j.state !== "dead")).toEqual([]);
    for (const dead of jobs.filter((j) => j.state === "dead")) {
      expect(dead.error?.message).toMatch(/^gave up after 6 attempts: /);
    }
    expect(jobs.filter((j) => j.state === "succeeded").length).toBeGreaterThan(50);
    for (const job of jobs.filter((j) => j.state === "succeeded")) {
      expect(
        h.emulator.resource(
          `/subscriptions/${SUBSCRIPTION}/resourceGroups/${(job.params as { resourceGroupName: string }).resourceGroupName}`,
        ),
      ).toBeDefined();
    }

    const stats = h.emulator.stats();
    expect(stats.faulted).toBeGreaterThan(10);
    const faults = h.emulator.requests().filter((r) => r.fault);
    expect(faults.some((r) => r.fault === "timeout")).toBe(true);
    expect(faults.some((r) => r.status === 429)).toBe(true);

    for (const job of jobs) {
      const audit = await h.runtime.store.queryAudit({ jobId: job.id, kind: "job", limit: 5 });
      expect(audit.records.map((r) => r.outcome)).toEqual([job.state]);
      const calls = await h.runtime.store.queryAudit({ jobId: job.id, kind: "arm-call", limit: 100 });
      expect(calls.records.length).toBeGreaterThanOrEqual(job.attempts);
      expect(calls.records.every((r) => r.correlationId === job.correlationId)).toBe(true);
    }
  });
});
