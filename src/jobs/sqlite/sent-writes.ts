// Writes as they cross to the SQLite writer thread, by structured clone: new jobs' rows and audit
// records by column (only strings, numbers and null: structured clone copies them in a fraction of
// JSON's time, and a 5,000-event batch's rows carry JSON columns JSON would escape again); any other
// write as its JSON text (an ARM result may hold values structured clone refuses, and JSON is what the
// store keeps). Each write on its own: a job finishing in the same turn no longer turns a batch to JSON.
import type { AuditRecord } from "../../audit/record.ts";
import type { NewJobRow } from "./rows.ts";
import type { WriteOp } from "./writes.ts";

/**
 * Records as one array per field: structured clone writes every key of every object, which cost three
 * times what the values did (5,000 rows: 9 ms as objects, 3 ms as columns).
 */
export interface Columns {
  count: number;
  keys: string[];
  values: unknown[][];
}

export type SentWrite =
  | { op: "accept"; now: number; rows: Columns }
  | { op: "audit"; records: Columns }
  | string;

/** Records of fixed fields (rows, audit records): a field undefined or absent is absent again. */
export function toColumns(records: readonly object[]): Columns {
  const keys = new Set<string>();
  for (const r of records) for (const key of Object.keys(r)) keys.add(key);
  return {
    count: records.length,
    keys: [...keys],
    values: [...keys].map((key) => records.map((r) => (r as Record<string, unknown>)[key])),
  };
}

export function fromColumns<T>({ count, keys, values }: Columns): T[] {
  const records: T[] = [];
  for (let i = 0; i < count; i++) {
    const record: Record<string, unknown> = {};
    keys.forEach((key, k) => {
      const value = values[k]?.[i];
      if (value !== undefined) record[key] = value;
    });
    records.push(record as T);
  }
  return records;
}

export function sendable(w: WriteOp): SentWrite {
  if (w.op === "accept") return { op: "accept", now: w.now, rows: toColumns(w.rows) };
  if (w.op === "audit") return { op: "audit", records: toColumns(w.records) };
  return JSON.stringify(w);
}

export function received(w: SentWrite): WriteOp {
  if (typeof w === "string") return JSON.parse(w) as WriteOp;
  return w.op === "accept"
    ? { op: "accept", now: w.now, rows: fromColumns<NewJobRow>(w.rows) }
    : { op: "audit", records: fromColumns<AuditRecord>(w.records) };
}
