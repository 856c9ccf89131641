// The import rules of .dependency-cruiser.cjs fire: a small house with arrows that run back up, run in
// a temporary directory through the same CLI and config that `npm run lint` uses, and the real src/.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const CONFIG = resolve(".dependency-cruiser.cjs");
const DEPCRUISE = resolve("node_modules/dependency-cruiser/bin/dependency-cruiser.mjs");

interface Violation {
  rule: string;
  from: string;
  to: string;
}

/** Runs depcruise on `src` under `cwd`; resolves with the violations (the CLI exits non-zero when there are any). */
async function violations(cwd: string): Promise<Violation[]> {
  const args = [DEPCRUISE, "src", "--config", CONFIG, "--output-type", "json"];
  const { stdout } = await run(process.execPath, args, { cwd, timeout: 60_000, maxBuffer: 64 << 20 }).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }),
  );
  const result = JSON.parse(stdout) as {
    summary: { violations: { rule: { name: string }; from: string; to: string }[] };
  };
  return result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

const house = mkdtempSync(join(tmpdir(), "armbridge-import-rules-"));
afterAll(() => rmSync(house, { recursive: true, force: true }));

function file(path: string, text: string) {
  mkdirSync(dirname(join(house, path)), { recursive: true });
  writeFileSync(join(house, path), text);
}

describe("import rules", () => {
  it("refuse arrows that run back up, domain code using HTTP, engines that share code, cycles and the emulator", async () => {
    file("src/kernel/errors.ts", "export class AppError extends Error {}\n");
    file("src/callers/caller.ts", "export interface Caller { id: string }\n");
    file("src/http/errors.ts", 'export { AppError } from "../kernel/errors.ts";\n');
    // Down the data path and to kernel/: allowed.
    file(
      "src/policy/authorize.ts",
      'import { AppError } from "../kernel/errors.ts";\nexport const e = AppError;\n',
    );
    // Back up the data path: jobs/ may not know callers/.
    file(
      "src/jobs/job.ts",
      'import type { Caller } from "../callers/caller.ts";\nexport type Job = Caller;\n',
    );
    // Domain code throwing the HTTP edge's error.
    file(
      "src/triggers/router.ts",
      'import { AppError } from "../http/errors.ts";\nexport const e = AppError;\n',
    );
    // One engine borrowing from the other.
    file("src/jobs/azure-storage/paging.ts", "export const page = 1;\n");
    file(
      "src/jobs/sqlite/paging.ts",
      'import { page } from "../azure-storage/paging.ts";\nexport const p = page;\n',
    );
    // A cycle inside one room.
    file("src/operations/a.ts", 'import { b } from "./b.ts";\nexport const a = () => b;\n');
    file("src/operations/b.ts", 'import { a } from "./a.ts";\nexport const b = () => a;\n');
    // The emulator: a dev package, refused everywhere in src/, statically or dynamically.
    file("packages/azure-emulator/src/index.ts", "export const startEmulator = () => undefined;\n");
    file(
      "src/app.ts",
      'import { startEmulator } from "../packages/azure-emulator/src/index.ts";\nexport const s = startEmulator;\n',
    );
    file("src/start.ts", 'export const load = () => import("../packages/azure-emulator/src/index.ts");\n');

    const found = await violations(house);
    const seen = (v: Violation) => `${v.rule}: ${v.from} -> ${v.to}`;
    expect(found.map(seen).sort()).toEqual(
      [
        "jobs-not-up: src/jobs/job.ts -> src/callers/caller.ts",
        "domain-not-edge: src/triggers/router.ts -> src/http/errors.ts",
        "job-engines-apart: src/jobs/sqlite/paging.ts -> src/jobs/azure-storage/paging.ts",
        "no-circular: src/operations/a.ts -> src/operations/b.ts",
        "no-emulator-in-product: src/app.ts -> packages/azure-emulator/src/index.ts",
        "no-emulator-in-product: src/start.ts -> packages/azure-emulator/src/index.ts",
      ].sort(),
    );
  });

  it("find nothing to refuse in src/ as it is", async () => {
    expect(await violations(process.cwd())).toEqual([]);
  });
});
