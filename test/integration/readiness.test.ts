// /readyz tells the truth in time: a store that reads but refuses writes (a full disk) is not ready,
// and a store that does not answer makes the check fail with its reason instead of hanging the probe.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config/load.ts";
import { openSqliteJobStore } from "../../src/jobs/sqlite/store.ts";
import type { JobStore } from "../../src/jobs/store.ts";
import { createJobWaiter } from "../../src/jobs/waiter.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { createLogger } from "../../src/telemetry/logger.ts";

let dir: string;
let store: JobStore;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "armbridge-ready-"));
  store = openSqliteJobStore(join(dir, "armbridge.db"));
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const appWith = (s: JobStore) =>
  createApp({
    config: parseConfig("{}", {}, operationNames),
    store: s,
    waiter: createJobWaiter(s),
    logger: createLogger("silent"),
  });

type Readiness = { status: string; checks: Record<string, { ok: boolean; reason?: string }> };

describe("GET /readyz", () => {
  it("is not ready while the store refuses writes, and ready again once it takes them", async () => {
    const app = appWith(store);
    expect((await app.request("/readyz")).status).toBe(200);
    // A second connection makes every write of the store fail as a full disk does; reads still work.
    const side = new DatabaseSync(join(dir, "armbridge.db"));
    side.exec(`CREATE TRIGGER disk_full BEFORE UPDATE ON schema_migrations
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    try {
      expect(await store.list({ limit: 1 })).toMatchObject({ jobs: [] });
      const res = await app.request("/readyz");
      expect(res.status).toBe(503);
      const body = (await res.json()) as Readiness;
      expect(body.status).toBe("not_ready");
      expect(body.checks.store).toEqual({ ok: false, reason: "database or disk is full" });
    } finally {
      side.exec("DROP TRIGGER disk_full");
      side.close();
    }
    expect((await app.request("/readyz")).status).toBe(200);
  });

  it("answers not_ready with the reason when the store does not answer at all", async () => {
    // Our own store interface, not Azure: a store whose account cannot be reached.
    const unreachable: JobStore = { ...store, ping: () => new Promise(() => {}) };
    const res = await appWith(unreachable).request("/readyz");
    expect(res.status).toBe(503);
    const body = (await res.json()) as Readiness;
    expect(body.checks.store?.ok).toBe(false);
    expect(body.checks.store?.reason).toMatch(/^store did not answer within \d+ ms$/);
  });
});
