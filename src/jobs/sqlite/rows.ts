// Rows of the SQLite jobs table and the Job they stand for; shared by the reading and the writing side.
import type { SQLInputValue } from "node:sqlite";
import type { Job, JobError, JobState, JobTrace } from "../job.ts";

export type Row = Record<string, SQLInputValue>;

// A row's timestamps, and those of the rows of one commit, are mostly the same instant: the last
// one converted is kept (a batch of 5,000 jobs would otherwise format 30,000 dates).
let lastMs = Number.NaN;
let lastIso = "";
const iso = (v: SQLInputValue | undefined) => {
  const ms = Number(v);
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
};

export function toJob(row: Row): Job {
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

/** Opens the database file the way both sides need it: WAL, and every commit durable (`synchronous = FULL`). */
export const SQLITE_PRAGMAS =
  "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;";
