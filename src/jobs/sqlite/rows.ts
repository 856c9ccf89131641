// Rows of the SQLite jobs table and the Job they stand for; shared by the reading and the writing side.
import type { SQLInputValue } from "node:sqlite";
import { newId, newTimeOrderedId } from "../../kernel/ids.ts";
import type { Job, JobDraft, JobError, JobState, JobTrace } from "../job.ts";

export type Row = Record<string, SQLInputValue>;

/**
 * A new job's columns as the accepting side prepares them: its ids made there, and each JSON column
 * serialized once (a batch's events share their caller and trace objects). `after` indexes earlier
 * rows of the same write.
 */
export interface NewJobRow {
  id: string;
  correlationId: string;
  idempotencyKey: string | null;
  operation: string;
  params: string;
  scope: string;
  callerId: string;
  caller: string;
  routeId: string | null;
  actionIndex: number;
  requestId: string;
  after: readonly number[] | undefined;
  trace: string | null;
}

/**
 * What an accept wrote: for each row whose idempotency key was taken (by its index), the job that
 * holds it; every other row was inserted as sent (its answer crosses back from the writer small).
 */
export interface AcceptWritten {
  held: Record<number, Row>;
}

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

/**
 * The rows a submission's drafts become, prepared where they are accepted: ids made here, and each
 * caller and trace serialized once however many drafts share it (every event of a batch does).
 */
export function newJobRows(drafts: readonly JobDraft[]): NewJobRow[] {
  const serialized = new Map<object, string>();
  const once = (value: object) => {
    let text = serialized.get(value);
    if (text === undefined) {
      text = JSON.stringify(value);
      serialized.set(value, text);
    }
    return text;
  };
  return drafts.map((d) => ({
    // Time-ordered: a new job lands at the end of the primary key's index.
    id: newTimeOrderedId(),
    correlationId: newId(),
    idempotencyKey: d.idempotencyKey ?? null,
    operation: d.operation,
    // Alike events share their parameters (the router validates each distinct rendering once).
    params: d.params !== null && typeof d.params === "object" ? once(d.params) : JSON.stringify(d.params),
    scope: d.scope,
    callerId: d.caller.id,
    caller: once(d.caller),
    routeId: d.routeId ?? null,
    actionIndex: d.actionIndex,
    requestId: d.requestId,
    after: d.after,
    trace: d.trace ? once(d.trace) : null,
  }));
}

/**
 * The jobs an accept stands for: an existing job as stored, a new one as its draft and row say (the
 * same values the row holds, without reading them back).
 */
export function acceptedJobs(
  drafts: readonly JobDraft[],
  rows: readonly NewJobRow[],
  written: AcceptWritten,
  now: number,
): Job[] {
  const at = new Date(now).toISOString();
  const idOf = (i: number) => {
    const held = written.held[i];
    return held ? String(held.id) : (rows[i] as NewJobRow).id;
  };
  return drafts.map((d, i) => {
    const held = written.held[i];
    if (held) return toJob(held);
    const row = rows[i] as NewJobRow;
    return {
      id: row.id,
      idempotencyKey: d.idempotencyKey,
      after: (d.after ?? []).map(idOf),
      state: "accepted",
      operation: d.operation,
      params: d.params,
      scope: d.scope,
      caller: d.caller,
      routeId: d.routeId,
      actionIndex: d.actionIndex,
      requestId: d.requestId,
      correlationId: row.correlationId,
      attempts: 0,
      notBefore: at,
      createdAt: at,
      updatedAt: at,
      finishedAt: undefined,
      result: undefined,
      error: undefined,
      lroState: undefined,
      acceptedAt: at,
      trace: d.trace,
    };
  });
}

/** Opens the database file the way both sides need it: WAL, and every commit durable (`synchronous = FULL`). */
export const SQLITE_PRAGMAS =
  "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;";
