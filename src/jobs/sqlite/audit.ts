// The audit table of the SQLite store: append, and newest-first pages with filters.
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { AuditFilter, AuditKind, AuditPage, AuditRecord } from "../../audit/record.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { whereClause } from "./paging.ts";

type Row = Record<string, SQLInputValue>;

export interface SqliteAudit {
  append(records: readonly AuditRecord[]): void;
  query(filter: AuditFilter): AuditPage;
  /** Deletes the records older than `before`; returns how many. */
  purge(before: Date): number;
}

export function sqliteAudit(db: DatabaseSync): SqliteAudit {
  const insert =
    db.prepare(`INSERT INTO audit (time, request_id, caller_id, on_behalf_of, route_id, operation,
    scope, kind, decision, reason, outcome, job_id, correlation_id, arm_request_id, status)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  // The records of one append mostly share their time (a batch's decisions): parsed once per run.
  let lastTime = "";
  let lastMs = 0;
  const msOf = (time: string) => {
    if (time !== lastTime) {
      lastMs = Date.parse(time);
      lastTime = time;
    }
    return lastMs;
  };
  return {
    append(records) {
      for (const r of records) {
        insert.run(
          msOf(r.time),
          r.requestId,
          r.callerId,
          r.onBehalfOf ?? null,
          r.routeId ?? null,
          r.operation,
          r.scope,
          r.kind,
          r.decision ?? null,
          r.reason ?? null,
          r.outcome ?? null,
          r.jobId ?? null,
          r.correlationId ?? null,
          r.armRequestId ?? null,
          r.status ?? null,
        );
      }
    },
    query(filter) {
      const { where, args, add } = whereClause();
      if (filter.callerId) add("caller_id = ?", filter.callerId);
      if (filter.jobId) add("job_id = ?", filter.jobId);
      if (filter.kind) add("kind = ?", filter.kind);
      if (filter.correlationId) add("correlation_id = ?", filter.correlationId);
      if (filter.operation) add("operation = ?", filter.operation);
      if (filter.decision) add("decision = ?", filter.decision);
      if (filter.scope) {
        const scope = filter.scope.toLowerCase().replace(/\/+$/, "");
        add("(lower(scope) = ? OR substr(lower(scope), 1, ?) = ?)", scope, scope.length + 1, `${scope}/`);
      }
      if (filter.since) add("time >= ?", Date.parse(filter.since));
      if (filter.until) add("time < ?", Date.parse(filter.until));
      if (filter.cursor) add("seq < ?", decodeCursor(filter.cursor)[1]);
      const rows = db
        .prepare(`SELECT * FROM audit ${where()} ORDER BY seq DESC LIMIT ?`)
        .all(...args, filter.limit + 1) as Row[];
      const page = rows.slice(0, filter.limit);
      const last = rows.length > filter.limit ? page.at(-1) : undefined;
      return {
        records: page.map(toRecord),
        nextCursor: last ? encodeCursor(Number(last.time), Number(last.seq)) : undefined,
      };
    },
    purge(before) {
      return Number(db.prepare("DELETE FROM audit WHERE time < ?").run(before.getTime()).changes);
    },
  };
}

function toRecord(row: Row): AuditRecord {
  const optional = <K extends string>(key: K, column: string) =>
    row[column] === null || row[column] === undefined ? {} : { [key]: row[column] };
  return {
    time: new Date(Number(row.time)).toISOString(),
    requestId: String(row.request_id),
    callerId: String(row.caller_id),
    ...optional("onBehalfOf", "on_behalf_of"),
    ...optional("routeId", "route_id"),
    operation: String(row.operation),
    scope: String(row.scope),
    kind: String(row.kind) as AuditKind,
    ...optional("decision", "decision"),
    ...optional("reason", "reason"),
    ...optional("outcome", "outcome"),
    ...optional("jobId", "job_id"),
    ...optional("correlationId", "correlation_id"),
    ...optional("armRequestId", "arm_request_id"),
    ...(row.status === null ? {} : { status: Number(row.status) }),
  } as AuditRecord;
}
