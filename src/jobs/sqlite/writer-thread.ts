// The SQLite writer thread: its own connection to the job store's file, one transaction per batch of
// writes it is sent, answered after the COMMIT (see writer.ts).
import { flushCompileCache } from "node:module";
import { DatabaseSync } from "node:sqlite";
import { parentPort, workerData } from "node:worker_threads";
import { trimHeapWhenIdle } from "../../kernel/idle-heap.ts";
import { SQLITE_PRAGMAS } from "./rows.ts";
import type { SentError } from "./writer.ts";
import { commitBatch, type Outcome, sqliteWrites, type WriteOp } from "./writes.ts";

const db = new DatabaseSync((workerData as { path: string }).path);
db.exec(SQLITE_PRAGMAS);
const apply = sqliteWrites(db);
// Node writes the compile cache only at a clean exit: written now, a start after a kill finds this
// thread's modules compiled and does not load the type stripper again.
flushCompileCache();
// The thread is idle between bursts of writes: what a burst (or its start) left committed goes back.
trimHeapWhenIdle();

function sent(err: unknown): SentError {
  if (!(err instanceof Error)) return { name: "Error", message: String(err), props: {} };
  // Own properties such as node:sqlite's `code` and `errcode`.
  const props: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(err)) {
    const value = (err as unknown as Record<string, unknown>)[key];
    if (key === "name" || key === "message" || key === "stack") continue;
    if (["string", "number", "boolean"].includes(typeof value)) props[key] = value;
  }
  return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}), props };
}

type Message = { seq: number; batch: WriteOp[] } | { close: true };

// JSON text, or (a batch of only new jobs and audit records) a structured clone: see writer.ts.
parentPort?.on("message", (data: string | Message) => {
  const m = typeof data === "string" ? (JSON.parse(data) as Message) : data;
  if ("close" in m) {
    db.close();
    process.exit(0);
  }
  try {
    const outcomes: Outcome[] = commitBatch(db, apply, m.batch).map((o) =>
      o.ok ? o : { ok: false, error: sent(o.error) },
    );
    parentPort?.postMessage(JSON.stringify({ seq: m.seq, outcomes }));
  } catch (err) {
    parentPort?.postMessage(JSON.stringify({ seq: m.seq, failed: sent(err) }));
  }
});
