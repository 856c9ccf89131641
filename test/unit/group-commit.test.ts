// SQLite group commit: the writes of a batch share a transaction, each in its own savepoint; a write
// that throws is rolled back alone, and a COMMIT that fails takes the whole batch with it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commitBatch, type WriteOp } from "../../src/jobs/sqlite/writes.ts";

let dir: string;
let db: DatabaseSync;
let reader: DatabaseSync;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "armbridge-commit-"));
  db = new DatabaseSync(join(dir, "t.db"));
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;
    CREATE TABLE parent (id TEXT PRIMARY KEY);
    CREATE TABLE t (v TEXT UNIQUE, parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);`);
  // A second connection sees only what was committed.
  reader = new DatabaseSync(join(dir, "t.db"));
});
afterEach(() => {
  reader.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const committed = () =>
  (reader.prepare("SELECT v FROM t ORDER BY v").all() as { v: string }[]).map((r) => r.v);
const insert =
  (v: string, parent: string | null = null) =>
  () =>
    db.prepare("INSERT INTO t (v, parent) VALUES (?, ?)").run(v, parent).changes;

/** Commits a batch of plain functions through the store's group commit. */
const batch = (...writes: (() => unknown)[]) =>
  commitBatch(
    db,
    (w) => (w as unknown as { run: () => unknown }).run(),
    writes.map((run) => ({ run }) as unknown as WriteOp),
  );

describe("commitBatch", () => {
  it("answers each write with its value, all committed together", () => {
    const outcomes = batch(insert("a"), insert("b"));
    expect(outcomes).toEqual([
      { ok: true, value: 1 },
      { ok: true, value: 1 },
    ]);
    expect(committed()).toEqual(["a", "b"]);
    expect(db.isTransaction).toBe(false);
  });

  it("rolls back a write that throws alone, and commits the rest of its batch", () => {
    const outcomes = batch(insert("a"), insert("a"), insert("c"));
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    const failed = outcomes[1] as { ok: false; error: unknown };
    expect(String(failed.error)).toMatch(/UNIQUE/);
    expect(committed()).toEqual(["a", "c"]);
  });

  it("throws for a batch whose COMMIT fails, and keeps none of it", () => {
    // The deferred foreign key is checked at COMMIT: each write succeeds, the COMMIT does not.
    expect(() => batch(insert("a"), insert("b", "missing"))).toThrow(/FOREIGN KEY/);
    expect(committed()).toEqual([]);
    expect(db.isTransaction).toBe(false);
    // The next batch starts clean.
    expect(batch(insert("c"))).toEqual([{ ok: true, value: 1 }]);
    expect(committed()).toEqual(["c"]);
  });
});

describe("commitBatch's edges", () => {
  it("rolls back what a write changed before it threw, and keeps the rest of the batch", () => {
    const halfDone = () => {
      insert("half")();
      throw new Error("failed after its insert");
    };
    expect(batch(insert("a"), halfDone, insert("c")).map((o) => o.ok)).toEqual([true, false, true]);
    expect(committed()).toEqual(["a", "c"]);
  });

  it("throws the store's own error when the transaction cannot even begin", () => {
    // Another connection holds the write lock: BEGIN IMMEDIATE fails and there is nothing to roll back.
    reader.exec("PRAGMA busy_timeout = 0; BEGIN IMMEDIATE");
    db.exec("PRAGMA busy_timeout = 0");
    try {
      expect(() => batch(insert("a"))).toThrow(/database is locked/);
    } finally {
      reader.exec("ROLLBACK");
    }
    expect(committed()).toEqual([]);
  });
});
