// Records packed to cross to the writer thread: structured clone writes every key of every object and
// every copy of a string, and a 5,000-event batch's rows and audit records repeat nearly all of theirs
// (the caller, the trace, the operation, a hundred scopes). Packed, each distinct value crosses once.
import type { WriteOp } from "./writes.ts";

export interface PackedRecords {
  count: number;
  keys: string[];
  /** Distinct values; index 0 stands for a key the record does not have. */
  values: unknown[];
  /** For record r and key k, the index into `values` at `r * keys.length + k`. */
  refs: Uint32Array;
}

const ABSENT = 0;

/** Records of fixed fields (rows, audit records): their keys are the program's, never a payload's. */
export function packRecords(records: readonly object[]): PackedRecords {
  const keys: string[] = [];
  const keyIndex = new Map<string, number>();
  for (const r of records) {
    for (const key of Object.keys(r)) {
      if (!keyIndex.has(key)) {
        keyIndex.set(key, keys.length);
        keys.push(key);
      }
    }
  }
  const values: unknown[] = [undefined];
  const valueIndex = new Map<unknown, number>();
  const refs = new Uint32Array(records.length * keys.length);
  records.forEach((r, i) => {
    for (const [key, value] of Object.entries(r)) {
      let at = valueIndex.get(value);
      if (at === undefined) {
        at = values.length;
        values.push(value);
        valueIndex.set(value, at);
      }
      refs[i * keys.length + (keyIndex.get(key) as number)] = at;
    }
  });
  return { count: records.length, keys, values, refs };
}

/** The records as they were packed (a key a record did not have is absent again). */
export function unpackRecords<T>(packed: PackedRecords): T[] {
  const { count, keys, values, refs } = packed;
  const records: T[] = [];
  for (let i = 0; i < count; i++) {
    const record: Record<string, unknown> = {};
    keys.forEach((key, k) => {
      const at = refs[i * keys.length + k] as number;
      if (at !== ABSENT) record[key] = values[at];
    });
    records.push(record as T);
  }
  return records;
}

/**
 * A write as it crosses to the writer thread: new jobs' rows and audit records packed; any other as
 * JSON text (an ARM result may hold values structured clone refuses, and JSON is what the store keeps).
 */
export type SentWrite =
  | { op: "accept"; now: number; rows: PackedRecords }
  | { op: "audit"; records: PackedRecords }
  | string;

export function sendable(w: WriteOp): SentWrite {
  if (w.op === "accept") return { op: "accept", now: w.now, rows: packRecords(w.rows) };
  if (w.op === "audit") return { op: "audit", records: packRecords(w.records) };
  return JSON.stringify(w);
}

export function received(w: SentWrite): WriteOp {
  if (typeof w === "string") return JSON.parse(w) as WriteOp;
  return w.op === "accept"
    ? { op: "accept", now: w.now, rows: unpackRecords(w.rows) }
    : { op: "audit", records: unpackRecords(w.records) };
}
