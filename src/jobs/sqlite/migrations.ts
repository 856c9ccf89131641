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
  // Durable execution: long-running operation state, per-scope serialisation, re-queued age, audit log.
  `ALTER TABLE jobs ADD COLUMN scope_key TEXT NOT NULL DEFAULT '';
  UPDATE jobs SET scope_key = lower(scope);
  ALTER TABLE jobs ADD COLUMN lro_state TEXT;
  ALTER TABLE jobs ADD COLUMN accepted_at INTEGER;
  UPDATE jobs SET accepted_at = created_at;
  CREATE INDEX jobs_by_scope ON jobs (scope_key, state, created_at);
  CREATE INDEX jobs_by_state ON jobs (state, created_at, id);
  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    caller_id TEXT NOT NULL,
    on_behalf_of TEXT,
    route_id TEXT,
    operation TEXT NOT NULL,
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    decision TEXT,
    reason TEXT,
    outcome TEXT,
    job_id TEXT,
    correlation_id TEXT,
    arm_request_id TEXT,
    status INTEGER
  );
  CREATE INDEX audit_by_time ON audit (time, seq);
  CREATE INDEX audit_by_caller ON audit (caller_id, time, seq);
  CREATE INDEX audit_by_job ON audit (job_id, seq);`,
  // Ordering inside one submission: the ids of the jobs a job runs after (JSON array), or NULL.
  "ALTER TABLE jobs ADD COLUMN after_jobs TEXT;",
  // Telemetry: the accepting request's trace context, and audit look-ups by ARM correlation id.
  `ALTER TABLE jobs ADD COLUMN trace_context TEXT;
  CREATE INDEX audit_by_correlation ON audit (correlation_id, seq);`,
  // Partial indexes, cheaper to keep up: the claim's only over the unfinished jobs (a queue's rows mostly
  // end done), and the audit's by job and by correlation id without the decisions, which have neither.
  // Each query that reads one names the same condition (or `= ?`, which implies NOT NULL). The index
  // by scope goes: only serializing by scope reads it, and its first claim makes it again (writes.ts).
  `DROP INDEX jobs_runnable;
  CREATE INDEX jobs_runnable ON jobs (state, not_before, created_at) WHERE state = 'accepted';
  DROP INDEX jobs_by_scope;
  DROP INDEX audit_by_job;
  CREATE INDEX audit_by_job ON audit (job_id, seq) WHERE job_id IS NOT NULL;
  DROP INDEX audit_by_correlation;
  CREATE INDEX audit_by_correlation ON audit (correlation_id, seq) WHERE correlation_id IS NOT NULL;`,
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
