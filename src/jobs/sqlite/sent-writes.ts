// Writes as they cross to the SQLite writer thread, by structured clone: new jobs' rows and audit
// records as they are (only strings, numbers and null, which structured clone copies in a fraction of
// JSON's time: a 5,000-event batch's rows carry JSON columns JSON would escape again); any other write
// as its JSON text (an ARM result may hold values structured clone refuses, and JSON is what the store
// keeps). Each write on its own: a job finishing in the same turn no longer turns a whole batch to JSON.
import type { WriteOp } from "./writes.ts";

export type SentWrite = Extract<WriteOp, { op: "accept" | "audit" }> | string;

export function sendable(w: WriteOp): SentWrite {
  return w.op === "accept" || w.op === "audit" ? w : JSON.stringify(w);
}

export function received(w: SentWrite): WriteOp {
  return typeof w === "string" ? (JSON.parse(w) as WriteOp) : w;
}
