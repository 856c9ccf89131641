// The job endpoints through the real app: operator-only listing and dead-letter retry, Prefer: wait.
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import type { AuditRecord } from "../../src/audit/record.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { Job, JobDraft } from "../../src/jobs/job.ts";
import { openSqliteJobStore } from "../../src/jobs/sqlite/store.ts";
import type { JobStore } from "../../src/jobs/store.ts";
import { createJobWaiter, type JobWaiter } from "../../src/jobs/waiter.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { createLogger } from "../../src/telemetry/logger.ts";

const KEY = "operator-key-for-tests";
const config = parseConfig(
  `operators: [{ id: ops, apiKeyHash: "${createHash("sha256").update(KEY).digest("hex")}" }]`,
  {},
  operationNames,
);
const auth = { authorization: `Bearer ${KEY}` };

const draft = (i: number, callerId = "ci"): JobDraft => ({
  idempotencyKey: `k${i}`,
  requestId: `req-${i}`,
  caller: { id: callerId, kind: "github-webhook", subject: "repo:org/app", claims: {} },
  routeId: "r",
  actionIndex: 0,
  operation: "resourceGroup.ensure",
  params: {},
  scope: `/subscriptions/s/resourceGroups/g${i}`,
});

const terminal = (job: Job, outcome: string): AuditRecord => ({
  time: new Date().toISOString(),
  requestId: job.requestId,
  callerId: job.caller.id,
  operation: job.operation,
  scope: job.scope,
  kind: "job",
  outcome,
  jobId: job.id,
});

describe("job endpoints", () => {
  let store: JobStore;
  let waiter: JobWaiter;
  let wakes: number;
  let app: ReturnType<typeof createApp>;

  beforeEach(() => {
    store = openSqliteJobStore(":memory:");
    waiter = createJobWaiter(store);
    wakes = 0;
    app = createApp({ config, store, waiter, logger: createLogger("silent"), onAccepted: () => wakes++ });
  });
  afterEach(() => store.close());

  it("refuses listing and retry without a valid operator key", async () => {
    const { jobs } = await store.accept([draft(1)]);
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: KEY }]) {
      const list = await app.request("/v1/jobs", { headers });
      expect(list.status).toBe(401);
      expect(await list.json()).toMatchObject({ code: "unauthenticated" });
      const retry = await app.request(`/v1/jobs/${jobs[0]?.id}/retry`, { method: "POST", headers });
      expect(retry.status).toBe(401);
    }
  });

  it("lists jobs filtered by state and caller, page by page", async () => {
    for (let i = 0; i < 5; i++) await store.accept([draft(i, i < 3 ? "ci" : "other")]);
    const page1 = await app.request("/v1/jobs?caller=ci&state=accepted&limit=2", { headers: auth });
    expect(page1.status).toBe(200);
    const body1 = (await page1.json()) as { jobs: { scope: string }[]; links: { next: string } };
    expect(body1.jobs).toHaveLength(2);
    const page2 = await app.request(body1.links.next, { headers: auth });
    const body2 = (await page2.json()) as { jobs: { scope: string }[]; links: { next: string | null } };
    const groups = [...body1.jobs, ...body2.jobs].map((j) => j.scope.slice(-2)).sort();
    expect(groups).toEqual(["g0", "g1", "g2"]);
    expect(body2.links.next).toBeNull();
    const since = await app.request(
      `/v1/jobs?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      {
        headers: auth,
      },
    );
    expect(((await since.json()) as { jobs: unknown[] }).jobs).toHaveLength(0);
  });

  it("answers a bad filter or cursor with a precise 400", async () => {
    for (const query of ["state=sleeping", "limit=0", "since=yesterday", "cursor=bm9wZQ", "colour=blue"]) {
      const res = await app.request(`/v1/jobs?${query}`, { headers: auth });
      expect(res.status, query).toBe(400);
      expect(await res.json()).toMatchObject({ code: "bad_request" });
    }
  });

  it("re-queues a dead letter, and refuses a job that is not dead", async () => {
    const { jobs } = await store.accept([draft(1)]);
    const job = jobs[0] as Job;
    const early = await app.request(`/v1/jobs/${job.id}/retry`, { method: "POST", headers: auth });
    expect(early.status).toBe(409);
    await store.finish(
      job.id,
      "dead",
      { error: { code: "Http503", message: "gave up" } },
      terminal(job, "dead"),
    );
    const res = await app.request(`/v1/jobs/${job.id}/retry`, { method: "POST", headers: auth });
    expect(res.status).toBe(202);
    expect(res.headers.get("location")).toBe(`/v1/jobs/${job.id}`);
    expect(await res.json()).toMatchObject({ state: "accepted", attempts: 0, error: null });
    expect(wakes).toBe(1);
    const audit = await store.queryAudit({ jobId: job.id, limit: 1 });
    expect(audit.records[0]).toMatchObject({ outcome: "requeued", reason: expect.stringContaining("'ops'") });
    const missing = await app.request("/v1/jobs/00000000-0000-4000-8000-000000000000/retry", {
      method: "POST",
      headers: auth,
    });
    expect(missing.status).toBe(404);
  });

  it("holds GET /v1/jobs/{id} under Prefer: wait until the job finishes", async () => {
    const { jobs } = await store.accept([draft(1)]);
    const job = jobs[0] as Job;
    // Finished only once the request is waiting on the job (no sleep standing in for that).
    let held: () => void = () => {};
    const waiting = new Promise<void>((resolve) => {
      held = resolve;
    });
    const spy: JobWaiter = {
      notify: (id) => waiter.notify(id),
      wait: (...args) => {
        const result = waiter.wait(...args);
        held();
        return result;
      },
    };
    const waitingApp = createApp({
      config,
      store,
      waiter: spy,
      logger: createLogger("silent"),
      onAccepted: () => {},
    });
    const pending = waitingApp.request(`/v1/jobs/${job.id}`, { headers: { ...auth, prefer: "wait=10" } });
    await waiting;
    await store.finish(job.id, "succeeded", { result: { ok: true } }, terminal(job, "succeeded"));
    waiter.notify(job.id);
    const res = await pending;
    expect(res.headers.get("preference-applied")).toBe("wait=10");
    expect(await res.json()).toMatchObject({ state: "succeeded", result: { ok: true } });
  });

  it("answers at once with the current state when the wait runs out", async () => {
    const { jobs } = await store.accept([draft(1)]);
    const res = await app.request(`/v1/jobs/${jobs[0]?.id}`, {
      headers: { ...auth, prefer: "respond-async, wait=0" },
    });
    expect(await res.json()).toMatchObject({ state: "accepted" });
  });
});
