// The audit table of the Azure Storage store. PartitionKey = inverted time + random, so a table scan
// is newest first and a time range is a key range; a job's records are never older than the job.
import { randomBytes } from "node:crypto";
import { odata } from "@azure/data-tables";
import type { AuditFilter, AuditKind, AuditPage, AuditRecord } from "../../audit/record.ts";
import type { StorageClients } from "./clients.ts";
import { createdMsOfId, type Entity, idPrefix, timeKey } from "./entities.ts";
import { queryPage } from "./paging.ts";

/** Replicas' clocks differ a little: a job's records are looked for from this long before its id's time. */
const CLOCK_SLACK_MS = 5 * 60_000;

const FIELDS = [
  "requestId",
  "callerId",
  "onBehalfOf",
  "routeId",
  "operation",
  "scope",
  "kind",
  "decision",
  "reason",
  "outcome",
  "jobId",
  "correlationId",
  "armRequestId",
  "status",
] as const;

export function auditEntity(r: AuditRecord): Entity {
  const ms = Date.parse(r.time);
  const e: Entity = {
    partitionKey: `${timeKey(ms)}-${randomBytes(8).toString("hex")}`,
    rowKey: "",
    time: ms,
  };
  for (const f of FIELDS) if (r[f] !== undefined) e[f] = r[f];
  e.scopeKey = r.scope.toLowerCase();
  return e;
}

function toRecord(e: Record<string, unknown>): AuditRecord {
  const r: Record<string, unknown> = { time: new Date(Number(e.time)).toISOString() };
  for (const f of FIELDS) if (e[f] !== undefined && e[f] !== null) r[f] = e[f];
  return r as unknown as AuditRecord & { kind: AuditKind };
}

/** `xxxxxxxx-xxxx`-style bounds compare like the 12-hex time keys of audit keys. */
const bound = (ms: number) => idPrefix(ms).replace("-", "");

export async function queryAudit(c: StorageClients, filter: AuditFilter): Promise<AuditPage> {
  await c.ready;
  const clauses: string[] = [];
  if (filter.callerId) clauses.push(odata`callerId eq ${filter.callerId}`);
  if (filter.jobId) {
    clauses.push(odata`jobId eq ${filter.jobId}`);
    const created = createdMsOfId(filter.jobId);
    if (created !== undefined) clauses.push(odata`PartitionKey lt ${bound(created - CLOCK_SLACK_MS - 1)}`);
  }
  if (filter.kind) clauses.push(odata`kind eq ${filter.kind}`);
  if (filter.correlationId) clauses.push(odata`correlationId eq ${filter.correlationId}`);
  if (filter.operation) clauses.push(odata`operation eq ${filter.operation}`);
  if (filter.decision) clauses.push(odata`decision eq ${filter.decision}`);
  if (filter.scope) {
    // At the scope or below it: the key itself, or keys between `{scope}/` and `{scope}0` ('0' follows '/').
    const key = filter.scope.toLowerCase();
    clauses.push(odata`(scopeKey eq ${key} or (scopeKey gt ${`${key}/`} and scopeKey lt ${`${key}0`}))`);
  }
  // time >= since: keys up to since's; time < until: keys from (until - 1 ms)'s on.
  if (filter.since) clauses.push(odata`PartitionKey lt ${bound(Date.parse(filter.since) - 1)}`);
  if (filter.until) clauses.push(odata`PartitionKey ge ${bound(Date.parse(filter.until) - 1)}`);
  const { rows, nextCursor } = await queryPage(c.audit, {
    clauses,
    limit: filter.limit,
    ...(filter.cursor ? { cursor: filter.cursor } : {}),
    timeOf: (row) => Number(row.time),
  });
  return { records: rows.map(toRecord), nextCursor };
}

/** Retention: deletes the records older than `before`; older times have the larger keys. */
export async function purgeAudit(c: StorageClients, before: Date): Promise<number> {
  await c.ready;
  let purged = 0;
  const old = c.audit.listEntities({
    queryOptions: {
      filter: odata`PartitionKey ge ${bound(before.getTime() - 1)}`,
      select: ["PartitionKey", "RowKey"],
    },
  });
  for await (const e of old) {
    await c.audit.deleteEntity(String(e.partitionKey), String(e.rowKey ?? ""));
    purged++;
  }
  return purged;
}
