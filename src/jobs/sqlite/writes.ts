// Every write of the SQLite job store as a plain message (so it can cross to the writer thread), the
// statements that carry them out, prepared once, and the group commit that runs a batch of them.
import type { DatabaseSync } from "node:sqlite";
import type { AuditRecord } from "../../audit/record.ts";
import type { JobError, JobState } from "../job.ts";
import { sqliteAudit } from "./audit.ts";
import { type AcceptWritten, type NewJobRow, type Row, toJob } from "./rows.ts";

export type WriteOp =
  | { op: "accept"; now: number; rows: readonly NewJobRow[] }
  | { op: "claim"; limit: number; leaseMs: number; serializeByScope: boolean }
  | { op: "checkpoint"; id: string; lroState: string }
  | { op: "reschedule"; id: string; notBefore: number; error: JobError | undefined; refundAttempt: boolean }
  | {
      op: "finish";
      id: string;
      state: Extract<JobState, "succeeded" | "failed" | "dead">;
      outcome: { result?: unknown; error?: JobError };
      record: AuditRecord;
    }
  | { op: "requeue"; id: string; record: AuditRecord }
  | { op: "audit"; records: readonly AuditRecord[] }
  | { op: "purge"; before: number }
  | { op: "recover" }
  /** Nothing: resolves once every write queued before it is committed. */
  | { op: "sync" }
  /** A write that changes nothing: a full disk still reads, but refuses it (readiness must see that). */
  | { op: "ping" };

/** A write's result, or the error it threw (its own savepoint rolled back, the others committed). */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

export function sqliteWrites(db: DatabaseSync): (w: WriteOp) => unknown {
  const audit = sqliteAudit(db);
  const byKey = db.prepare("SELECT * FROM jobs WHERE idempotency_key = ?");
  const byId = db.prepare("SELECT * FROM jobs WHERE id = ?");
  const insert =
    db.prepare(`INSERT INTO jobs (id, idempotency_key, state, operation, params, scope, caller_id, caller,
      route_id, action_index, request_id, correlation_id, attempts, not_before, created_at, updated_at,
      scope_key, accepted_at, after_jobs, trace_context)
    VALUES (?, ?, 'accepted', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (idempotency_key) DO NOTHING`);
  const claimSql = (eligible: string) =>
    db.prepare(`UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = ?, updated_at = ?
      WHERE id IN (SELECT id FROM jobs j WHERE state = 'accepted' AND not_before <= ? ${eligible}
        AND (j.after_jobs IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(j.after_jobs) d
          JOIN jobs p ON p.id = d.value WHERE p.state != 'succeeded'))
        ORDER BY not_before, created_at, rowid LIMIT ?)
      RETURNING *`);
  const claimAny = claimSql("");
  // Only the per-scope serialization reads this index, and keeping it up was a quarter of a new job's
  // insert: the first claim that serializes makes it (over the unfinished jobs only), and it stays.
  const scopeIndex = `CREATE INDEX IF NOT EXISTS jobs_unfinished_by_scope ON jobs (scope_key, created_at)
    WHERE state IN ('accepted', 'running', 'waiting')`;
  // The oldest unfinished job of each scope, and only while no other job of that scope is under way.
  const claimSerialized = claimSql(`AND j.id = (SELECT k.id FROM jobs k WHERE k.scope_key = j.scope_key
      AND k.state IN ('accepted', 'running', 'waiting') ORDER BY k.created_at, k.rowid LIMIT 1)`);
  const checkpoint = db.prepare(
    "UPDATE jobs SET state = 'waiting', lro_state = ?, updated_at = ? WHERE id = ?",
  );
  const reschedule =
    db.prepare(`UPDATE jobs SET state = 'accepted', lease_until = NULL, not_before = ?, error = ?, updated_at = ?,
      attempts = attempts - ? WHERE id = ?`);
  const finish =
    db.prepare(`UPDATE jobs SET state = ?, result = ?, error = ?, lease_until = NULL, lro_state = NULL,
      updated_at = ?, finished_at = ? WHERE id = ?`);
  const requeue =
    db.prepare(`UPDATE jobs SET state = 'accepted', attempts = 0, not_before = ?, accepted_at = ?, updated_at = ?,
      finished_at = NULL, error = NULL, lro_state = NULL WHERE id = ? AND state = 'dead'`);
  const recover = db.prepare(
    "UPDATE jobs SET state = 'accepted', lease_until = NULL, updated_at = ? WHERE state IN ('running', 'waiting')",
  );
  const touchMigrations = db.prepare(
    "UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_migrations)",
  );
  const dependentsOf = db.prepare(`SELECT j.* FROM jobs j, json_each(j.after_jobs) d
    WHERE d.value = ? AND j.state = 'accepted'`);
  const failDependent = db.prepare(
    "UPDATE jobs SET state = 'failed', error = ?, updated_at = ?, finished_at = ? WHERE id = ?",
  );

  /** Jobs that run after a failed one can never run: they fail too, each with its audit record. */
  const failDependents = (id: string, state: string, cause: AuditRecord) => {
    for (const row of dependentsOf.all(id) as Row[]) {
      const job = toJob(row);
      const error = {
        code: "DependencyFailed",
        message: `job ${id}, which this job runs after, ended ${state}`,
      };
      const now = Date.now();
      failDependent.run(JSON.stringify(error), now, now, job.id);
      const { status: _status, ...withoutStatus } = cause;
      audit.append([
        {
          ...withoutStatus,
          time: new Date(now).toISOString(),
          ...(job.routeId ? { routeId: job.routeId } : {}),
          operation: job.operation,
          scope: job.scope,
          outcome: "failed",
          jobId: job.id,
          correlationId: job.correlationId,
          reason: `${error.code}: ${error.message}`,
        },
      ]);
      failDependents(job.id, "failed", cause);
    }
  };

  const accept = (now: number, rows: readonly NewJobRow[]): AcceptWritten => {
    const ids: string[] = [];
    const held: Record<number, Row> = {};
    for (const [i, r] of rows.entries()) {
      const after = (r.after ?? []).map((i) => {
        if (!(i >= 0 && i < ids.length)) throw new RangeError("a job can only run after an earlier one");
        return ids[i] as string;
      });
      // One index probe for a new job: the insert itself finds a repeated key, and only then is it read.
      const { changes } = insert.run(
        r.id,
        r.idempotencyKey,
        r.operation,
        r.params,
        r.scope,
        r.callerId,
        r.caller,
        r.routeId,
        r.actionIndex,
        r.requestId,
        r.correlationId,
        now,
        now,
        now,
        r.scope.toLowerCase(),
        now,
        after.length > 0 ? JSON.stringify(after) : null,
        r.trace,
      );
      const existing = Number(changes) > 0 ? undefined : (byKey.get(r.idempotencyKey) as Row);
      if (existing) held[i] = existing;
      ids.push(existing ? String(existing.id) : r.id);
    }
    return { held };
  };

  return (w) => {
    const now = Date.now();
    switch (w.op) {
      case "accept":
        return accept(w.now, w.rows);
      case "claim":
        if (!w.serializeByScope) return claimAny.all(now + w.leaseMs, now, now, w.limit);
        db.exec(scopeIndex);
        return claimSerialized.all(now + w.leaseMs, now, now, w.limit);
      case "checkpoint":
        checkpoint.run(w.lroState, now, w.id);
        return undefined;
      case "reschedule":
        reschedule.run(w.notBefore, json(w.error), now, w.refundAttempt ? 1 : 0, w.id);
        return undefined;
      case "finish":
        finish.run(w.state, json(w.outcome.result), json(w.outcome.error), now, now, w.id);
        audit.append([w.record]);
        if (w.state !== "succeeded") failDependents(w.id, w.state, w.record);
        return undefined;
      case "requeue": {
        const changed = Number(requeue.run(now, now, now, w.id).changes) > 0;
        const row = byId.get(w.id) as Row | undefined;
        if (!row) return undefined;
        if (changed) audit.append([w.record]);
        return { row, requeued: changed };
      }
      case "audit":
        audit.append(w.records);
        return undefined;
      case "purge":
        return audit.purge(new Date(w.before));
      case "recover":
        return Number(recover.run(now).changes);
      case "sync":
        return undefined;
      case "ping":
        touchMigrations.run();
        return undefined;
    }
  };
}

/**
 * Group commit: the writes of a batch share one transaction and one fsync. Each runs in its own
 * savepoint, so one that throws is rolled back alone. Throws when the transaction itself fails.
 */
export function commitBatch(
  db: DatabaseSync,
  apply: (w: WriteOp) => unknown,
  batch: readonly WriteOp[],
): Outcome[] {
  const outcomes: Outcome[] = [];
  try {
    db.exec("BEGIN IMMEDIATE");
    for (const w of batch) {
      db.exec("SAVEPOINT w");
      try {
        outcomes.push({ ok: true, value: apply(w) });
        // Stryker disable next-line StringLiteral,CallExpression: an unreleased savepoint nests the next one and COMMIT ends them all
        db.exec("RELEASE w");
      } catch (error) {
        db.exec("ROLLBACK TO w; RELEASE w");
        outcomes.push({ ok: false, error });
      }
    }
    db.exec("COMMIT");
  } catch (err) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
  return outcomes;
}
