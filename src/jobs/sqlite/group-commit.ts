// Group commit: writes requested in the same event-loop turn share one transaction and one fsync.
// Each write runs in its own savepoint, so one that throws is rolled back alone; every promise
// resolves only after the COMMIT, so an answer is never sent before its write is durable.
import type { DatabaseSync } from "node:sqlite";

interface Pending {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export type GroupCommit = <T>(write: () => T) => Promise<T>;

export function groupCommit(db: DatabaseSync): GroupCommit {
  let queue: Pending[] = [];

  const flush = () => {
    const batch = queue;
    queue = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      db.exec("BEGIN IMMEDIATE");
      for (const p of batch) {
        db.exec("SAVEPOINT w");
        try {
          outcomes.push({ ok: true, value: p.write() });
          db.exec("RELEASE w");
        } catch (err) {
          db.exec("ROLLBACK TO w; RELEASE w");
          outcomes.push({ ok: false, value: err });
        }
      }
      db.exec("COMMIT");
    } catch (err) {
      if (db.isTransaction) db.exec("ROLLBACK");
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const outcome = outcomes[i] as { ok: boolean; value: unknown };
      if (outcome.ok) p.resolve(outcome.value);
      else p.reject(outcome.value);
    });
  };

  return <T>(write: () => T) =>
    new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
    });
}
