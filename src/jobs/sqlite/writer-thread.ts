// The SQLite writer thread: its own connection to the job store's file, one transaction per batch of
// writes it is sent, answered after the COMMIT (see writer.ts).
import { DatabaseSync } from "node:sqlite";
import { parentPort, workerData } from "node:worker_threads";
import { SQLITE_PRAGMAS } from "./rows.ts";
import type { SentError } from "./writer.ts";
import { commitBatch, type Outcome, sqliteWrites, type WriteOp } from "./writes.ts";

const db = new DatabaseSync((workerData as { path: string }).path);
db.exec(SQLITE_PRAGMAS);
const apply = sqliteWrites(db);

function sent(err: unknown): SentError {
  if (!(err instanceof Error)) return { name: "Error", message: String(err), props: {} };
  // Own properties such as node:sqlite's `code` and `errcode`, when they can be cloned.
  const props: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(err)) {
    if (key === "name" || key === "message" || key === "stack") continue;
    try {
      props[key] = structuredClone((err as unknown as Record<string, unknown>)[key]);
    } catch {
      // Not cloneable: left behind.
    }
  }
  return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}), props };
}

parentPort?.on("message", (m: { seq: number; batch: WriteOp[] } | { close: true }) => {
  if ("close" in m) {
    db.close();
    process.exit(0);
  }
  try {
    const outcomes: Outcome[] = commitBatch(db, apply, m.batch).map((o) =>
      o.ok ? o : { ok: false, error: sent(o.error) },
    );
    parentPort?.postMessage({ seq: m.seq, outcomes });
  } catch (err) {
    parentPort?.postMessage({ seq: m.seq, failed: sent(err) });
  }
});
