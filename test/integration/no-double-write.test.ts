// A write is never sent twice: with ARM's responses lost (the write applied, the answer a 500), neither
// the SDK's retries inside an attempt nor the job's next attempt re-send a write that took effect,
// with or without the caller tag; and an audit store that refuses records does not turn a finished
// write into a failed one that is sent again; the records it refused are written once it recovers.

import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { githubDelivery } from "../helpers/github.ts";
import { BASE_CONFIG, type Harness, HOOK_SECRET, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";

const LOST_PUT_RESPONSES = {
  rate: 0.4,
  statuses: [500, 503],
  phase: "after" as const,
  methods: ["PUT"],
  seed: 15,
};
const JOBS = { concurrency: 8, maxAttempts: 8, retryBaseMs: 10, retryMaxMs: 50 };

// One harness for the file: MSAL caches the IMDS endpoint and tokens per process.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: `${BASE_CONFIG}
audit: { callerTag: armbridge-caller }
azure: { retry: { maxRetries: 2, retryDelayMs: 5, maxRetryDelayMs: 10 } }`,
    jobs: JOBS,
  });
});
afterEach(() => h.emulator.configure({ faults: { rate: 0 } }));
afterAll(async () => {
  await h?.close();
});

async function runJobs(harness: Harness, prefix: string, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const body = { group: `app-${prefix}-${i}`, repository: { full_name: "contoso/web", id: 7 } };
    const res = await harness.request("/hooks/deploy", await githubDelivery(HOOK_SECRET, body));
    expect(res.status).toBe(202);
    ids.push(((await res.json()) as { jobs: { id: string }[] }).jobs[0]?.id as string);
  }
  const jobs = await Promise.all(ids.map((id) => harness.waitForJob(id, 60_000)));
  // The first job that did not succeed, with its error, makes a failure readable.
  expect(jobs.find((j) => j.state !== "succeeded")?.error).toBeUndefined();
  return jobs;
}

/** PUTs the emulator received per resource group: every one of them applied (faults come after). */
function putsPerGroup(harness: Harness, prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of harness.emulator.requests()) {
    const path = r.path.toLowerCase();
    if (r.method !== "PUT" || !path.includes(`/resourcegroups/app-${prefix}-`)) continue;
    counts.set(path, (counts.get(path) ?? 0) + 1);
  }
  return counts;
}

describe("lost responses of writes", () => {
  it("sends each write once, though the SDK retries 5xx and the caller tag changes what is sent", async () => {
    h.emulator.configure({ faults: LOST_PUT_RESPONSES });
    const faultedBefore = h.emulator.stats().faulted;
    const jobs = await runJobs(h, "lost", 30);
    expect(h.emulator.stats().faulted - faultedBefore).toBeGreaterThan(5);
    const puts = putsPerGroup(h, "lost");
    expect(puts.size).toBe(30);
    expect([...puts.entries()].filter(([, n]) => n > 1)).toEqual([]);
    // The writes that lost their answer were looked for, and found, on a later attempt.
    expect(jobs.some((j) => j.attempts > 1)).toBe(true);
    const group = h.emulator.resource(`/subscriptions/${SUBSCRIPTION}/resourceGroups/app-lost-0`) as {
      tags: Record<string, string>;
    };
    expect(group.tags["armbridge-caller"]).toBe("ci");
  });

  it("still lets the SDK retry a write ARM throttled, which never took effect", async () => {
    h.emulator.configure({ faults: { rate: 0.5, statuses: [429], methods: ["PUT"], seed: 7 } });
    await runJobs(h, "thr", 10);
    const throttled = h.emulator.requests().filter((r) => r.method === "PUT" && r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
  });
});

describe("an audit store that refuses records", () => {
  it("does not fail or re-send a finished write, and writes the refused records once it recovers", async () => {
    // A second connection makes the store refuse ARM call records, as a full disk would.
    const side = new DatabaseSync(join(h.dataDir, "armbridge.db"));
    side.exec(`CREATE TRIGGER refuse_arm_calls BEFORE INSERT ON audit WHEN NEW.kind = 'arm-call'
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    try {
      const jobs = await runJobs(h, "aud", 5);
      expect(jobs.map((j) => j.state)).toEqual(jobs.map(() => "succeeded"));
      expect([...putsPerGroup(h, "aud").values()]).toEqual([1, 1, 1, 1, 1]);
      const none = await h.runtime.store.queryAudit({
        jobId: jobs[0]?.id as string,
        kind: "arm-call",
        limit: 10,
      });
      expect(none.records).toEqual([]);
      side.exec("DROP TRIGGER refuse_arm_calls");
      const first = jobs[0]?.id as string;
      for (let tries = 0; ; tries++) {
        const calls = await h.runtime.store.queryAudit({ jobId: first, kind: "arm-call", limit: 10 });
        if (calls.records.some((r) => r.outcome?.startsWith("PUT "))) break;
        expect(tries).toBeLessThan(300);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      side.close();
    }
  });
});
