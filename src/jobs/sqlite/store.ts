// The embedded job store: one SQLite file (node:sqlite, WAL) under the data directory.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { AuditRecord } from "../../audit/record.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import type { JobDraft, JobState } from "../job.ts";
import type { AcceptResult, JobFilter, JobPage, JobStore } from "../store.ts";
import { sqliteAudit } from "./audit.ts";
import { migrate } from "./migrations.ts";
import { whereClause } from "./paging.ts";
import { type AcceptWritten, acceptedJobs, newJobRows, type Row, SQLITE_PRAGMAS, toJob } from "./rows.ts";
import { inProcessWriter, threadWriter } from "./writer.ts";

export function openSqliteJobStore(path: string): JobStore {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  // This connection migrates the file, then only reads; the writer commits on its own connection.
  const db = new DatabaseSync(path);
  db.exec(SQLITE_PRAGMAS);
  migrate(db);
  const audit = sqliteAudit(db);
  const writer = path === ":memory:" ? inProcessWriter(db) : threadWriter(path);
  const byId = db.prepare("SELECT * FROM jobs WHERE id = ?");

  return {
    async accept(drafts: readonly JobDraft[]): Promise<AcceptResult> {
      const now = Date.now();
      const rows = newJobRows(drafts);
      const written = (await writer.write({ op: "accept", now, rows })) as AcceptWritten;
      return {
        jobs: acceptedJobs(drafts, rows, written, now),
        created: drafts.map((_, i) => written.held[i] === undefined),
      };
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
      const serializeByScope = options.serializeByScope ?? false;
      const rows = (await writer.write({ op: "claim", limit, leaseMs, serializeByScope })) as Row[];
      return rows.map(toJob);
    },

    async checkpoint(id, lroState) {
      await writer.write({ op: "checkpoint", id, lroState });
    },

    async reschedule(id, notBefore, error, refundAttempt) {
      await writer.write({ op: "reschedule", id, notBefore: notBefore.getTime(), error, refundAttempt });
    },

    async finish(id, state, outcome, record: AuditRecord) {
      await writer.write({ op: "finish", id, state, outcome, record });
    },

    async requeue(id, record) {
      const done = (await writer.write({ op: "requeue", id, record })) as
        | { row: Row; requeued: boolean }
        | undefined;
      return done ? { job: toJob(done.row), requeued: done.requeued } : undefined;
    },

    async appendAudit(records) {
      if (records.length > 0) await writer.write({ op: "audit", records });
    },

    async queryAudit(filter) {
      return audit.query(filter);
    },

    async purgeAudit(before) {
      return (await writer.write({ op: "purge", before: before.getTime() })) as number;
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
      return (await writer.write({ op: "recover" })) as number;
    },

    async ping() {
      writer.check();
      // A write, not only a read: a full disk still reads, but refuses every job (readiness must see it).
      await writer.write({ op: "ping" });
    },

    async close() {
      // Writes already queued get their commit first.
      await writer.close();
      if (db.isOpen) db.close();
    },
  };
}
