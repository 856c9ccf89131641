import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/record.ts";
import { openSqliteJobStore } from "../../src/jobs/sqlite/store.ts";
import { describeJobStoreContract, draft, record } from "../helpers/job-store-contract.ts";

describeJobStoreContract("SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "armbridge-store-"));
  return {
    open: () => openSqliteJobStore(join(dir, "jobs.db")),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe("SQLite job store", () => {
  const dirs: string[] = [];
  const newPath = () => {
    const dir = mkdtempSync(join(tmpdir(), "armbridge-store-"));
    dirs.push(dir);
    return join(dir, "jobs.db");
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const indexes = (path: string) => {
    const db = new DatabaseSync(path);
    try {
      return Object.fromEntries(
        (
          db
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            .all() as {
            name: string;
            sql: string;
          }[]
        ).map((r) => [r.name, r.sql.replace(/\s+/g, " ")]),
      );
    } finally {
      db.close();
    }
  };

  it("migrates a database of schema 4 forward to the partial indexes, keeping and claiming its jobs", async () => {
    const path = newPath();
    let store = openSqliteJobStore(path);
    const { jobs } = await store.accept([draft("m#0"), draft("m#1", 1)]);
    await store.close();
    // Back to schema 4 as the release before this one left it: its full indexes, no version 5.
    const db = new DatabaseSync(path);
    db.exec(`DROP INDEX jobs_runnable; DROP INDEX audit_by_job;
      DROP INDEX audit_by_correlation;
      CREATE INDEX jobs_runnable ON jobs (state, not_before, created_at);
      CREATE INDEX jobs_by_scope ON jobs (scope_key, state, created_at);
      CREATE INDEX audit_by_job ON audit (job_id, seq);
      CREATE INDEX audit_by_correlation ON audit (correlation_id, seq);
      DELETE FROM schema_migrations WHERE version = 5;`);
    db.close();

    store = openSqliteJobStore(path);
    try {
      const migrated = indexes(path);
      expect(migrated.jobs_by_scope).toBeUndefined();
      expect(migrated.jobs_unfinished_by_scope).toBeUndefined();
      expect(migrated.jobs_runnable).toContain("WHERE state = 'accepted'");
      expect(migrated.audit_by_job).toContain("WHERE job_id IS NOT NULL");
      expect(migrated.audit_by_correlation).toContain("WHERE correlation_id IS NOT NULL");
      expect((await store.claim(1, 60_000)).map((j) => j.id)).toEqual([jobs[0]?.id]);
      // The first claim that serializes by scope makes the index only it reads: the second job waits
      // for the first, of the same scope, still running.
      expect(await store.claim(10, 60_000, { serializeByScope: true })).toEqual([]);
      expect(indexes(path).jobs_unfinished_by_scope).toContain(
        "WHERE state IN ('accepted', 'running', 'waiting')",
      );
    } finally {
      await store.close();
    }
  });

  it("refuses a database of a newer schema than it knows", async () => {
    const path = newPath();
    await openSqliteJobStore(path).close();
    const db = new DatabaseSync(path);
    db.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)");
    db.close();
    expect(() => openSqliteJobStore(path)).toThrow(/holds schema version 99; this armbridge knows \d+/);
  });

  it("commits a large batch through the writer thread with the writes beside it, keys and order intact", async () => {
    const store = openSqliteJobStore(newPath());
    try {
      const [done] = (await store.accept([draft("done")])).jobs;
      if (!done) throw new Error("a job expected");
      await store.claim(1, 60_000);
      const drafts = Array.from({ length: 2500 }, (_, i) => ({
        ...draft(`big#${i % 2400}`, i),
        // Each runs after the one before it; the last hundred repeat the first hundred's keys.
        ...(i > 0 && i % 2400 !== 0 ? { after: [i - 1] } : {}),
      }));
      const decisions: AuditRecord[] = Array.from({ length: 1500 }, (_, i) => ({
        time: new Date().toISOString(),
        requestId: "req-big",
        callerId: "ci",
        operation: "resourceGroup.ensure",
        scope: `/subscriptions/s/resourceGroups/g${i}`,
        kind: "decision",
        decision: "allow",
      }));
      // One turn of the event loop: the three writes share a commit.
      const [, accepted] = await Promise.all([
        store.appendAudit(decisions),
        store.accept(drafts),
        store.finish(done.id, "succeeded", { result: { ok: true } }, record(done, "succeeded")),
      ]);
      expect(accepted.created.filter(Boolean)).toHaveLength(2400);
      // A key repeated later in the same batch maps to the job the first one made.
      expect(accepted.jobs[2400]?.id).toBe(accepted.jobs[0]?.id);
      expect(accepted.created[2400]).toBe(false);
      expect(accepted.jobs[1000]?.after).toEqual([accepted.jobs[999]?.id]);
      // A repeated key answers the job as stored: big#1, after big#0.
      expect(accepted.jobs[2401]?.id).toBe(accepted.jobs[1]?.id);
      expect(accepted.jobs[2401]?.after).toEqual([accepted.jobs[0]?.id]);
      const stored = await store.get(accepted.jobs[1000]?.id ?? "");
      expect(stored?.after).toEqual([accepted.jobs[999]?.id]);
      expect(stored?.params).toEqual({ n: 1000 });
      expect((await store.get(done.id))?.state).toBe("succeeded");
      const audited = await store.queryAudit({ limit: 2000, kind: "decision" });
      expect(audited.records).toHaveLength(1500);
      expect(new Set(audited.records.map((r) => r.scope)).size).toBe(1500);
    } finally {
      await store.close();
    }
  });
});
