// Where the SQLite store's writes run. A file database gets a writer thread with its own connection:
// the commit's fsync (milliseconds on a busy disk) no longer stops the event loop, and writes that
// arrive while one commit is under way share the next. `:memory:` cannot be shared with a thread, so
// it commits on the event loop, one batch per turn. Either way a write resolves only after its COMMIT.
import { getCompileCacheDir } from "node:module";
import type { DatabaseSync } from "node:sqlite";
import { Worker } from "node:worker_threads";
import { type SentWrite, sendable } from "./sent-writes.ts";
import { commitBatch, type Outcome, sqliteWrites, type WriteOp } from "./writes.ts";

export interface SqliteWriter {
  write(w: WriteOp): Promise<unknown>;
  /** Throws when writes can no longer be committed (the writer thread is gone). */
  check(): void;
  /** Commits what is queued, then stops. */
  close(): Promise<void>;
}

interface Pending {
  w: WriteOp;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Queues writes and hands them to `commit` one batch at a time, in the order they were asked for. */
function batching(
  commit: (batch: WriteOp[]) => Promise<Outcome[]>,
  idle: () => void,
): (w: WriteOp) => Promise<unknown> {
  let queue: Pending[] = [];
  let busy = false;
  const pump = async () => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        const outcomes = await commit(batch.map((p) => p.w));
        batch.forEach((p, i) => {
          const o = outcomes[i];
          if (o?.ok) p.resolve(o.value);
          else p.reject(o ? o.error : new Error("the writer answered fewer writes than it was given"));
        });
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    busy = false;
    idle();
  };
  return (w) =>
    new Promise((resolve, reject) => {
      queue.push({ w, resolve, reject });
      if (!busy) {
        busy = true;
        // The writes of this event-loop turn go together.
        setImmediate(pump);
      }
    });
}

export function inProcessWriter(db: DatabaseSync): SqliteWriter {
  const apply = sqliteWrites(db);
  const write = batching(
    async (batch) => commitBatch(db, apply, batch),
    () => {},
  );
  return {
    write,
    check() {},
    async close() {
      await write({ op: "sync" });
    },
  };
}

/** An error as it crosses the thread boundary: structured clone would drop `code` and the like. */
export interface SentError {
  name: string;
  message: string;
  stack?: string;
  props: Record<string, unknown>;
}

const ERRORS: Record<string, ErrorConstructor> = { RangeError, TypeError, SyntaxError };

export function revive(e: SentError): Error {
  const err = new (ERRORS[e.name] ?? Error)(e.message);
  if (!(e.name in ERRORS)) err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return Object.assign(err, e.props);
}

/** What the writer thread is sent: a batch of writes to commit together, or the end. */
export type SentBatch = { seq: number; batch: SentWrite[] } | { close: true };

type Reply = { seq: number; outcomes: Outcome[] } | { seq: number; failed: SentError };

export function threadWriter(path: string): SqliteWriter {
  // A thread does not share the main thread's compile cache: without turning it on first, loading the
  // thread's TypeScript would load the type stripper too (tens of ms before the first commit).
  const cache = getCompileCacheDir();
  const bootstrap = `${cache ? `require("node:module").enableCompileCache(${JSON.stringify(cache)});` : ""}
    import(${JSON.stringify(new URL("./writer-thread.ts", import.meta.url).href)});`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { path } });
  const waiting = new Map<number, { resolve: (o: Outcome[]) => void; reject: (err: unknown) => void }>();
  let seq = 0;
  let broken: Error | undefined;
  const fail = (err: Error) => {
    broken = err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`the SQLite writer thread exited (${code})`)));
  worker.on("message", (text: string) => {
    const reply = JSON.parse(text) as Reply;
    const w = waiting.get(reply.seq);
    waiting.delete(reply.seq);
    if (!w) return;
    if ("failed" in reply) w.reject(revive(reply.failed));
    else
      w.resolve(reply.outcomes.map((o) => (o.ok ? o : { ok: false, error: revive(o.error as SentError) })));
  });
  // After the listeners: adding a "message" listener refs the worker again. A process that fails to
  // start after opening the store must still end.
  worker.unref();
  const write = batching(
    (batch) =>
      new Promise<Outcome[]>((resolve, reject) => {
        if (broken) return reject(broken);
        // A write in flight keeps the process alive; an idle writer does not.
        worker.ref();
        seq += 1;
        waiting.set(seq, { resolve, reject });
        // Structured clone, each write by column or as JSON text (sent-writes.ts).
        const message: SentBatch = { seq, batch: batch.map(sendable) };
        worker.postMessage(message);
      }),
    () => worker.unref(),
  );
  return {
    write,
    check() {
      if (broken) throw broken;
    },
    async close() {
      if (broken) return;
      await write({ op: "sync" });
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      // Held until the thread has closed the file: an unreferenced worker would let the process end first.
      worker.ref();
      worker.postMessage({ close: true });
      await exited;
    },
  };
}
