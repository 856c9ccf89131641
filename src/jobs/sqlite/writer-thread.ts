// The SQLite writer thread: its own connection to the job store's file, one transaction per batch of
// writes it is sent, answered after the COMMIT (see writer.ts).
import { flushCompileCache } from "node:module";
import { DatabaseSync } from "node:sqlite";
import { parentPort, workerData } from "node:worker_threads";
import { trimHeapWhenIdle } from "../../kernel/idle-heap.ts";
import { SQLITE_PRAGMAS } from "./rows.ts";
import { received } from "./sent-writes.ts";
import type { SentBatch, SentError } from "./writer.ts";
import { commitBatch, type Outcome, sqliteWrites } from "./writes.ts";

const db = new DatabaseSync((workerData as { path: string }).path);
db.exec(SQLITE_PRAGMAS);
// SQLite checkpoints (copies the WAL into the database file and syncs that) inside the COMMIT that
// takes the WAL past 1,000 pages: a 5,000-event batch waited for it before its answer. Here the
// checkpoint runs once the batch is answered (each COMMIT is as durable: `synchronous = FULL` syncs the
// WAL); SQLite's own stays as a backstop at a larger WAL. An 8 MB page cache (SQLite's default is
// 2 MB) keeps more of the indexes a batch's 5,000 rows land in: their insert took a tenth less
// (16 MB: a quarter less, for 8 MB more resident memory once the file is that large).
db.exec("PRAGMA wal_autocheckpoint = 10000; PRAGMA cache_size = -8192;");
const apply = sqliteWrites(db);
/** Rows changed since the last checkpoint after which the next idle moment checkpoints. */
const CHECKPOINT_ROWS = 2000;
const changed = db.prepare("SELECT total_changes() AS n");
const rowsChanged = () => Number((changed.get() as { n: number }).n);
let checkpointedAt = 0;
let checkpointQueued = false;
function checkpointWhenIdle(): void {
  if (checkpointQueued || rowsChanged() - checkpointedAt < CHECKPOINT_ROWS) return;
  checkpointQueued = true;
  // After the messages already waiting, which it would otherwise hold up.
  setImmediate(() => {
    checkpointQueued = false;
    checkpointedAt = rowsChanged();
    try {
      // PASSIVE, as SQLite's own: copies what no reader still needs, never waits for one.
      db.exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch {
      // Nothing is lost: the WAL still holds every commit, and the next checkpoint tries again.
    }
  });
}
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

parentPort?.on("message", (m: SentBatch) => {
  if ("close" in m) {
    db.close();
    process.exit(0);
  }
  try {
    const outcomes: Outcome[] = commitBatch(db, apply, m.batch.map(received)).map((o) =>
      o.ok ? o : { ok: false, error: sent(o.error) },
    );
    parentPort?.postMessage(JSON.stringify({ seq: m.seq, outcomes }));
  } catch (err) {
    parentPort?.postMessage(JSON.stringify({ seq: m.seq, failed: sent(err) }));
  }
  checkpointWhenIdle();
});
