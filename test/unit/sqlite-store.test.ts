import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteJobStore } from "../../src/jobs/sqlite/store.ts";
import { describeJobStoreContract } from "../helpers/job-store-contract.ts";

describeJobStoreContract("SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "armbridge-store-"));
  return {
    open: () => openSqliteJobStore(join(dir, "jobs.db")),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
});
