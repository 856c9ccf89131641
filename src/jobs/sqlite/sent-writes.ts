// Writes as they cross to the SQLite writer thread, by structured clone: new jobs' rows and audit
// records as they are (only strings, numbers and null, which structured clone copies in a fraction of
// JSON's time: a 5,000-event batch's rows carry JSON columns JSON would escape again); any other write
// as its JSON text (an ARM result may hold values structured clone refuses, and JSON is what the store
// keeps). Each write on its own: a job finishing in the same turn no longer turns a whole batch to JSON.
import type { AuditRecord } from "../../audit/record.ts";
import type { NewJobRow } from "./rows.ts";
import type { WriteOp } from "./writes.ts";

/**
 * Records per message. Structured clone's cost grows faster than the message: 5,000 rows and 5,000
 * audit records in one message took four times as long as either alone, the same in pieces no longer
 * than the sum. The pieces go just before their batch, which takes them in order.
 */
const PIECE = 1000;

export type SentWrite =
  | { op: "accept"; now: number; pieces: number }
  | { op: "audit"; pieces: number }
  | string;

/** `w` to send; its records, if it has any, appended to `pieces` to send first. */
export function sendable(w: WriteOp, pieces: unknown[][]): SentWrite {
  if (w.op !== "accept" && w.op !== "audit") return JSON.stringify(w);
  const records: readonly unknown[] = w.op === "accept" ? w.rows : w.records;
  const before = pieces.length;
  for (let i = 0; i < records.length; i += PIECE) pieces.push(records.slice(i, i + PIECE));
  const count = pieces.length - before;
  return w.op === "accept" ? { op: "accept", now: w.now, pieces: count } : { op: "audit", pieces: count };
}

/** The write as it was sent, its records taken from the front of `pieces`. */
export function received(w: SentWrite, pieces: unknown[][]): WriteOp {
  if (typeof w === "string") return JSON.parse(w) as WriteOp;
  const records = pieces.splice(0, w.pieces).flat();
  return w.op === "accept"
    ? { op: "accept", now: w.now, rows: records as NewJobRow[] }
    : { op: "audit", records: records as AuditRecord[] };
}
