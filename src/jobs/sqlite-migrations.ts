// Versioned schema migrations of the SQLite store, applied in order at start, each in a transaction.
import type { DatabaseSync } from "node:sqlite";

const migrations: readonly string[] = [
  `CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    state TEXT NOT NULL,
    operation TEXT NOT NULL,
    params TEXT NOT NULL,
    scope TEXT NOT NULL,
    caller_id TEXT NOT NULL,
    caller TEXT NOT NULL,
    route_id TEXT,
    action_index INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before INTEGER NOT NULL,
    lease_until INTEGER,
    result TEXT,
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER
  );
  CREATE INDEX jobs_runnable ON jobs (state, not_before, created_at);
  CREATE INDEX jobs_by_caller ON jobs (caller_id, created_at);
  CREATE INDEX jobs_by_created ON jobs (created_at, id);`,
];

export function migrate(db: DatabaseSync): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
  );
  const row = db.prepare("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations").get() as {
    version: number;
  };
  if (row.version > migrations.length) {
    throw new Error(
      `the data directory holds schema version ${row.version}; this armbridge knows ${migrations.length}`,
    );
  }
  migrations.slice(row.version).forEach((sql, i) => {
    const version = row.version + i + 1;
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(sql);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(
        version,
        Date.now(),
      );
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  });
}
