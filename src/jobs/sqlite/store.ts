// The embedded job store: one SQLite file (node:sqlite, WAL) under the data directory.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import type { AuditRecord } from "../../audit/record.ts";
import { newId } from "../../kernel/ids.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import type { Job, JobDraft, JobError, JobState, JobTrace } from "../job.ts";
import type { AcceptResult, JobFilter, JobPage, JobStore } from "../store.ts";
import { sqliteAudit } from "./audit.ts";
import { groupCommit } from "./group-commit.ts";
import { migrate } from "./migrations.ts";
import { whereClause } from "./paging.ts";

type Row = Record<string, SQLInputValue>;

export function openSqliteJobStore(path: string): JobStore {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec(
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
  );
  migrate(db);
  const audit = sqliteAudit(db);

  const byKey = db.prepare("SELECT * FROM jobs WHERE idempotency_key = ?");
  const byId = db.prepare("SELECT * FROM jobs WHERE id = ?");
  const insert =
    db.prepare(`INSERT INTO jobs (id, idempotency_key, state, operation, params, scope, caller_id, caller,
      route_id, action_index, request_id, correlation_id, attempts, not_before, created_at, updated_at,
      scope_key, accepted_at, after_jobs, trace_context)
    VALUES (?, ?, 'accepted', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)`);

  const claimSql = (eligible: string) =>
    db.prepare(`UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = ?, updated_at = ?
      WHERE id IN (SELECT id FROM jobs j WHERE state = 'accepted' AND not_before <= ? ${eligible}
        AND (j.after_jobs IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(j.after_jobs) d
          JOIN jobs p ON p.id = d.value WHERE p.state != 'succeeded'))
        ORDER BY not_before, created_at, rowid LIMIT ?)
      RETURNING *`);
  const claimAny = claimSql("");
  // The oldest unfinished job of each scope, and only while no other job of that scope is under way.
  const claimSerialized = claimSql(`AND j.id = (SELECT k.id FROM jobs k WHERE k.scope_key = j.scope_key
      AND k.state IN ('accepted', 'running', 'waiting') ORDER BY k.created_at, k.rowid LIMIT 1)`);

  const commit = groupCommit(db);

  const dependentsOf = db.prepare(`SELECT j.* FROM jobs j, json_each(j.after_jobs) d
    WHERE d.value = ? AND j.state = 'accepted'`);
  const failDependent =
    db.prepare(`UPDATE jobs SET state = 'failed', error = ?, updated_at = ?, finished_at = ?
    WHERE id = ?`);
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
      audit.append([
        {
          ...withoutStatus(cause),
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

  return {
    async accept(drafts: readonly JobDraft[]): Promise<AcceptResult> {
      return commit(() => {
        const now = Date.now();
        const jobs: Job[] = [];
        const created: boolean[] = [];
        for (const d of drafts) {
          const after = (d.after ?? []).map((i) => {
            const before = jobs[i];
            if (!before || i >= jobs.length) throw new RangeError(`a job can only run after an earlier one`);
            return before.id;
          });
          const existing = d.idempotencyKey ? (byKey.get(d.idempotencyKey) as Row | undefined) : undefined;
          if (existing) {
            jobs.push(toJob(existing));
            created.push(false);
            continue;
          }
          const id = newId();
          insert.run(
            id,
            d.idempotencyKey ?? null,
            d.operation,
            JSON.stringify(d.params),
            d.scope,
            d.caller.id,
            JSON.stringify(d.caller),
            d.routeId ?? null,
            d.actionIndex,
            d.requestId,
            newId(),
            now,
            now,
            now,
            d.scope.toLowerCase(),
            now,
            after.length > 0 ? JSON.stringify(after) : null,
            d.trace ? JSON.stringify(d.trace) : null,
          );
          jobs.push(toJob(byId.get(id) as Row));
          created.push(true);
        }
        return { jobs, created };
      });
    },

    async get(id) {
      const row = byId.get(id) as Row | undefined;
      return row ? toJob(row) : undefined;
    },

    async list(filter: JobFilter): Promise<JobPage> {
      const { where, args, add } = whereClause();
      if (filter.state) add("state = ?", filter.state);
      if (filter.callerId) add("caller_id = ?", filter.callerId);
      if (filter.since) add("created_at >= ?", Date.parse(filter.since));
      if (filter.until) add("created_at < ?", Date.parse(filter.until));
      if (filter.cursor) {
        const [at, id] = decodeCursor(filter.cursor);
        if (typeof id !== "string") throw new RangeError("invalid cursor");
        add("(created_at < ? OR (created_at = ? AND id < ?))", at, at, id);
      }
      const sql = `SELECT * FROM jobs ${where()}
        ORDER BY created_at DESC, id DESC LIMIT ?`;
      const rows = db.prepare(sql).all(...args, filter.limit + 1) as Row[];
      const page = rows.slice(0, filter.limit).map(toJob);
      const last = rows.length > filter.limit ? page.at(-1) : undefined;
      return { jobs: page, nextCursor: last ? encodeCursor(Date.parse(last.createdAt), last.id) : undefined };
    },

    async claim(limit, leaseMs, options = {}) {
      return commit(() => {
        const now = Date.now();
        const rows = (options.serializeByScope ? claimSerialized : claimAny).all(
          now + leaseMs,
          now,
          now,
          limit,
        ) as Row[];
        return rows.map(toJob);
      });
    },

    async checkpoint(id, lroState) {
      await commit(() =>
        db
          .prepare("UPDATE jobs SET state = 'waiting', lro_state = ?, updated_at = ? WHERE id = ?")
          .run(lroState, Date.now(), id),
      );
    },

    async reschedule(id, notBefore, error, refundAttempt) {
      await commit(() =>
        db
          .prepare(`UPDATE jobs SET state = 'accepted', lease_until = NULL, not_before = ?, error = ?, updated_at = ?,
            attempts = attempts - ? WHERE id = ?`)
          .run(
            notBefore.getTime(),
            error ? JSON.stringify(error) : null,
            Date.now(),
            refundAttempt ? 1 : 0,
            id,
          ),
      );
    },

    async finish(id, state, outcome, record: AuditRecord) {
      return commit(() => {
        const now = Date.now();
        db.prepare(`UPDATE jobs SET state = ?, result = ?, error = ?, lease_until = NULL, lro_state = NULL,
            updated_at = ?, finished_at = ? WHERE id = ?`).run(
          state,
          outcome.result === undefined ? null : JSON.stringify(outcome.result),
          outcome.error ? JSON.stringify(outcome.error) : null,
          now,
          now,
          id,
        );
        audit.append([record]);
        if (state !== "succeeded") failDependents(id, state, record);
      });
    },

    async requeue(id, record) {
      return commit(() => {
        const now = Date.now();
        const requeued = db
          .prepare(`UPDATE jobs SET state = 'accepted', attempts = 0, not_before = ?, accepted_at = ?, updated_at = ?,
              finished_at = NULL, error = NULL, lro_state = NULL WHERE id = ? AND state = 'dead'`)
          .run(now, now, now, id);
        const row = byId.get(id) as Row | undefined;
        if (!row) return undefined;
        if (Number(requeued.changes) > 0) audit.append([record]);
        return { job: toJob(row), requeued: Number(requeued.changes) > 0 };
      });
    },

    async appendAudit(records) {
      if (records.length > 0) await commit(() => audit.append(records));
    },

    async queryAudit(filter) {
      return audit.query(filter);
    },

    async purgeAudit(before) {
      return commit(() => audit.purge(before));
    },

    async countUnfinished() {
      const rows = db
        .prepare(
          "SELECT state, COUNT(*) AS n FROM jobs WHERE state IN ('accepted', 'running', 'waiting') GROUP BY state",
        )
        .all() as { state: JobState; n: number }[];
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    },

    async recover() {
      // One process owns the SQLite file, so whatever it finds running was left by a previous life.
      const result = db
        .prepare(
          "UPDATE jobs SET state = 'accepted', lease_until = NULL, updated_at = ? WHERE state IN ('running', 'waiting')",
        )
        .run(Date.now());
      return Number(result.changes);
    },

    async ping() {
      // A write, not only a read: a full disk still reads, but refuses every job (readiness must see it).
      await commit(() =>
        db
          .prepare(
            "UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_migrations)",
          )
          .run(),
      );
    },

    async close() {
      // Writes already queued get their commit first.
      await commit(() => undefined);
      if (db.isOpen) db.close();
    },
  };
}

function withoutStatus({ status: _status, ...record }: AuditRecord): AuditRecord {
  return record;
}

function toJob(row: Row): Job {
  const iso = (v: SQLInputValue | undefined) => new Date(Number(v)).toISOString();
  const json = (v: SQLInputValue | undefined) =>
    v === null || v === undefined ? undefined : JSON.parse(String(v));
  return {
    id: String(row.id),
    idempotencyKey: row.idempotency_key === null ? undefined : String(row.idempotency_key),
    after: json(row.after_jobs) ?? [],
    state: String(row.state) as JobState,
    operation: String(row.operation),
    params: json(row.params),
    scope: String(row.scope),
    caller: json(row.caller),
    routeId: row.route_id === null ? undefined : String(row.route_id),
    actionIndex: Number(row.action_index),
    requestId: String(row.request_id),
    correlationId: String(row.correlation_id),
    attempts: Number(row.attempts),
    notBefore: iso(row.not_before),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    finishedAt: row.finished_at === null ? undefined : iso(row.finished_at),
    result: json(row.result),
    error: json(row.error) as JobError | undefined,
    lroState: row.lro_state === null || row.lro_state === undefined ? undefined : String(row.lro_state),
    acceptedAt: iso(row.accepted_at),
    trace: json(row.trace_context) as JobTrace | undefined,
  };
}
