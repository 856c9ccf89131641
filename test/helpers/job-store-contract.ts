// The job store contract, run against every engine: a test file passes a fixture that opens a
// store (again and again, on the same storage) and the same behaviour is required of each.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/record.ts";
import type { Job, JobDraft } from "../../src/jobs/job.ts";
import type { JobStore } from "../../src/jobs/store.ts";

export interface StoreFixture {
  /** A store on this fixture's storage; a second call reopens the same storage. */
  open(): JobStore;
  cleanup(): Promise<void> | void;
}

export const caller = { id: "ci", kind: "github-webhook" as const, subject: "repo:org/app", claims: {} };
export const record = (job: Job, outcome: string, kind: AuditRecord["kind"] = "job"): AuditRecord => ({
  time: new Date().toISOString(),
  requestId: job.requestId,
  callerId: job.caller.id,
  operation: job.operation,
  scope: job.scope,
  kind,
  outcome,
  jobId: job.id,
  correlationId: job.correlationId,
});
export const draft = (key: string | undefined, i = 0): JobDraft => ({
  idempotencyKey: key,
  requestId: "req-1",
  caller,
  routeId: "r",
  actionIndex: i,
  operation: "resourceGroup.ensure",
  params: { n: i },
  scope: "/subscriptions/s/resourceGroups/g",
});

export function describeJobStoreContract(
  engine: string,
  createFixture: () => Promise<StoreFixture> | StoreFixture,
) {
  describe(`job store contract: ${engine}`, () => {
    let fixture: StoreFixture;
    let store: JobStore;
    beforeEach(async () => {
      fixture = await createFixture();
      store = fixture.open();
    });
    afterEach(async () => {
      await store.close();
      await fixture.cleanup();
    });

    it("stores drafts as accepted jobs and answers a repeated key with the existing job", async () => {
      const first = await store.accept([draft("k#0"), draft("k#1", 1)]);
      expect(first.created).toEqual([true, true]);
      expect(first.jobs.map((j) => j.state)).toEqual(["accepted", "accepted"]);
      const again = await store.accept([draft("k#0"), draft("k#1", 1)]);
      expect(again.created).toEqual([false, false]);
      expect(again.jobs.map((j) => j.id)).toEqual(first.jobs.map((j) => j.id));
      expect(first.jobs[0]?.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("stores nothing of a submission that fails midway", async () => {
      const poisoned = { ...draft("p#1", 1), params: { n: 1n } }; // BigInt cannot be serialised
      await expect(store.accept([draft("p#0"), poisoned])).rejects.toThrow();
      expect((await store.list({ limit: 10 })).jobs).toHaveLength(0);
    });

    it("leases runnable jobs once, retries them later, and finishes them", async () => {
      const { jobs } = await store.accept([draft("a"), draft("b", 1)]);
      const claimed = await store.claim(10, 60_000);
      expect(claimed.map((j) => j.attempts)).toEqual([1, 1]);
      expect(await store.claim(10, 60_000)).toHaveLength(0);
      const [a, b] = jobs;
      if (!a || !b) throw new Error("two jobs expected");
      await store.reschedule(
        a.id,
        new Date(Date.now() + 60_000),
        { code: "Http503", message: "busy" },
        false,
      );
      expect(await store.claim(10, 60_000)).toHaveLength(0);
      await store.finish(b.id, "succeeded", { result: { ok: true } }, record(b, "succeeded"));
      const done = await store.get(b.id);
      expect(done?.state).toBe("succeeded");
      expect(done?.result).toEqual({ ok: true });
      expect(done?.finishedAt).toBeDefined();
      expect((await store.get(a.id))?.error?.code).toBe("Http503");
    });

    it("survives a reopen and hands jobs a closed store left running to the next claim", async () => {
      await store.accept([draft("x")]);
      await store.claim(1, 60_000);
      await store.close();
      store = fixture.open();
      await store.recover();
      const [job] = await store.claim(1, 60_000);
      expect(job?.attempts).toBe(2);
    });

    it("pages through jobs newest first, filtered by state and caller", async () => {
      for (let i = 0; i < 5; i++) await store.accept([draft(`page-${i}`, i)]);
      const page1 = await store.list({ limit: 2, callerId: "ci", state: "accepted" });
      expect(page1.jobs).toHaveLength(2);
      const page2 = await store.list({
        limit: 2,
        callerId: "ci",
        state: "accepted",
        cursor: page1.nextCursor,
      });
      const page3 = await store.list({
        limit: 2,
        callerId: "ci",
        state: "accepted",
        cursor: page2.nextCursor,
      });
      const ids = [...page1.jobs, ...page2.jobs, ...page3.jobs].map((j) => j.id);
      expect(new Set(ids).size).toBe(5);
      expect(page3.nextCursor).toBeUndefined();
      expect((await store.list({ limit: 10, callerId: "someone-else" })).jobs).toHaveLength(0);
    });

    it("writes a job's terminal state and its audit record together, and pages the audit log", async () => {
      const { jobs } = await store.accept([draft("audit")]);
      const job = jobs[0] as Job;
      await store.appendAudit([{ ...record(job, "PUT /x", "arm-call"), status: 201, armRequestId: "arm-1" }]);
      await store.finish(job.id, "failed", { error: { code: "Nope", message: "no" } }, record(job, "failed"));
      const page1 = await store.queryAudit({ jobId: job.id, limit: 1 });
      expect(page1.records).toMatchObject([{ kind: "job", outcome: "failed", jobId: job.id }]);
      const page2 = await store.queryAudit({ jobId: job.id, limit: 1, cursor: page1.nextCursor });
      expect(page2.records).toMatchObject([{ kind: "arm-call", status: 201, armRequestId: "arm-1" }]);
      expect(page2.nextCursor).toBeUndefined();
      expect((await store.queryAudit({ kind: "decision", limit: 10 })).records).toHaveLength(0);
    });

    it("re-queues only a dead job, with fresh attempts, and audits it", async () => {
      const { jobs } = await store.accept([draft("dead")]);
      const job = jobs[0] as Job;
      expect((await store.requeue(job.id, record(job, "requeued")))?.requeued).toBe(false);
      await store.claim(1, 60_000);
      await store.finish(
        job.id,
        "dead",
        { error: { code: "Http503", message: "gave up" } },
        record(job, "dead"),
      );
      const again = await store.requeue(job.id, record(job, "requeued"));
      expect(again?.requeued).toBe(true);
      expect(again?.job).toMatchObject({ state: "accepted", attempts: 0, error: undefined });
      expect(await store.requeue("00000000-0000-0000-0000-000000000000", record(job, "x"))).toBeUndefined();
      const outcomes = (await store.queryAudit({ jobId: job.id, limit: 10 })).records.map((r) => r.outcome);
      expect(outcomes).toEqual(["requeued", "dead"]);
    });

    it("keeps a long-running operation's poller across a restart", async () => {
      const { jobs } = await store.accept([draft("lro")]);
      await store.claim(1, 60_000);
      await store.checkpoint((jobs[0] as Job).id, '{"state":"polling"}');
      expect((await store.get((jobs[0] as Job).id))?.state).toBe("waiting");
      await store.close();
      store = fixture.open();
      await store.recover();
      const [resumed] = await store.claim(1, 60_000);
      expect(resumed?.lroState).toBe('{"state":"polling"}');
    });

    it("runs one job per scope at a time, oldest first, when serialising by scope", async () => {
      const other = { ...draft("other", 9), scope: "/subscriptions/s/resourceGroups/other" };
      const { jobs } = await store.accept([
        draft("s1"),
        { ...draft("s2", 1), scope: "/Subscriptions/s/resourcegroups/G" },
        other,
      ]);
      const first = await store.claim(10, 60_000, { serializeByScope: true });
      expect(first.map((j) => j.id).sort()).toEqual([jobs[0]?.id, jobs[2]?.id].sort());
      expect(await store.claim(10, 60_000, { serializeByScope: true })).toHaveLength(0);
      await store.finish(jobs[0]?.id as string, "succeeded", {}, record(jobs[0] as Job, "succeeded"));
      const second = await store.claim(10, 60_000, { serializeByScope: true });
      expect(second.map((j) => j.id)).toEqual([jobs[1]?.id]);
    });

    it("runs a job only after the jobs it runs after succeeded", async () => {
      const { jobs } = await store.accept([
        draft("o#0"),
        { ...draft("o#1", 1), after: [0] },
        { ...draft("o#2", 2), after: [1] },
      ]);
      const [first, second, third] = jobs as [Job, Job, Job];
      expect(second.after).toEqual([first.id]);
      expect((await store.claim(10, 60_000)).map((j) => j.id)).toEqual([first.id]);
      await store.finish(first.id, "succeeded", {}, record(first, "succeeded"));
      expect((await store.claim(10, 60_000)).map((j) => j.id)).toEqual([second.id]);
      await store.finish(
        second.id,
        "dead",
        { error: { code: "Http503", message: "busy" } },
        record(second, "dead"),
      );
      // The third can never run: it fails with the reason, and its audit record says so.
      const failed = await store.get(third.id);
      expect(failed?.state).toBe("failed");
      expect(failed?.error).toMatchObject({ code: "DependencyFailed" });
      expect((await store.queryAudit({ limit: 10, jobId: third.id })).records[0]).toMatchObject({
        outcome: "failed",
      });
      expect(await store.claim(10, 60_000)).toEqual([]);
    });

    it("keeps the accepting trace, counts the unfinished jobs, and filters and purges the audit log", async () => {
      const trace = {
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        origin: "instance-a",
      };
      const { jobs } = await store.accept([{ ...draft("t#0"), trace }, draft("t#1", 1)]);
      const [traced, other] = jobs as [Job, Job];
      expect((await store.get(traced.id))?.trace).toEqual(trace);
      await store.claim(1, 60_000);
      expect(await store.countUnfinished()).toEqual({ accepted: 1, running: 1 });

      const old = new Date(Date.now() - 10 * 86_400_000).toISOString();
      await store.appendAudit([
        { ...record(traced, "allow", "decision"), decision: "allow", time: old },
        {
          ...record(other, "deny", "decision"),
          decision: "deny",
          scope: "/subscriptions/s/resourceGroups/g/providers/A.B/c/d",
        },
        {
          ...record(other, "deny", "decision"),
          decision: "deny",
          scope: "/subscriptions/s/resourceGroups/gx",
        },
      ]);
      const byCorrelation = await store.queryAudit({ limit: 10, correlationId: traced.correlationId });
      expect(byCorrelation.records.map((r) => r.jobId)).toEqual([traced.id]);
      const below = await store.queryAudit({ limit: 10, scope: "/SUBSCRIPTIONS/s/resourceGroups/G" });
      expect(below.records.map((r) => r.scope)).toEqual([
        "/subscriptions/s/resourceGroups/g/providers/A.B/c/d",
        "/subscriptions/s/resourceGroups/g",
      ]);
      expect(
        (await store.queryAudit({ limit: 10, decision: "deny", operation: "resourceGroup.ensure" })).records,
      ).toHaveLength(2);
      expect(await store.purgeAudit(new Date(Date.now() - 86_400_000))).toBe(1);
      expect((await store.queryAudit({ limit: 10 })).records).toHaveLength(2);
    });

    it("refuses an order that points forward", async () => {
      await expect(store.accept([{ ...draft("f#0"), after: [1] }, draft("f#1", 1)])).rejects.toThrow(
        /earlier/,
      );
    });
  });
}
