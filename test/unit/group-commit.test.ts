// SQLite group commit: writes of one event-loop turn share a transaction; a promise settles only
// after the COMMIT, and a COMMIT that fails takes the whole batch with it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { groupCommit } from "../../src/jobs/sqlite/group-commit.ts";

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

describe("groupCommit", () => {
  it("resolves each write with its value once the batch is committed", async () => {
    const commit = groupCommit(db);
    const seen: string[][] = [];
    const writes = ["a", "b"].map(async (v) => {
      const n = await commit(insert(v));
      seen.push(committed());
      return n;
    });
    expect(await Promise.all(writes)).toEqual([1, 1]);
    expect(seen).toEqual([
      ["a", "b"],
      ["a", "b"],
    ]);
    expect(db.isTransaction).toBe(false);
  });

  it("rolls back a write that throws alone, and commits the rest of its batch", async () => {
    const commit = groupCommit(db);
    const results = await Promise.allSettled([commit(insert("a")), commit(insert("a")), commit(insert("c"))]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(committed()).toEqual(["a", "c"]);
  });

  it("rejects every write of a batch whose COMMIT fails, and keeps none of them", async () => {
    const commit = groupCommit(db);
    // The deferred foreign key is checked at COMMIT: each write succeeds, the COMMIT does not.
    const results = await Promise.allSettled([commit(insert("a")), commit(insert("b", "missing"))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    for (const r of results) expect(String((r as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    expect(committed()).toEqual([]);
    expect(db.isTransaction).toBe(false);
    // The next batch starts clean.
    expect(await commit(insert("c"))).toBe(1);
    expect(committed()).toEqual(["c"]);
  });

  it("starts a new transaction for writes of a later turn", async () => {
    const commit = groupCommit(db);
    await commit(insert("a"));
    const failed = commit(insert("b", "missing"));
    await expect(failed).rejects.toThrow(/FOREIGN KEY/);
    expect(committed()).toEqual(["a"]);
  });
});
