// `npm run mutation`: StrykerJS over the security and durability core, one group at a time, each
// with only the tests that exercise it; then the score of each folder against its threshold.
// Exits non-zero when a folder is below its threshold. docs/mutation.md explains the set-up.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Stryker } from "@stryker-mutator/core";

type MutantResult = Awaited<ReturnType<Stryker["runMutationTest"]>>[number];

interface Group {
  name: string;
  mutate: string[];
  tests: string[];
  /** Integration tests start an emulator per file: they need a fresh process per file. */
  isolate: boolean;
}

/**
 * `file:first-last`, the lines from the first holding `from` to the next holding `to` (`^` anchors it
 * at the line's start; without `to`, the one line): ranges that follow the code when lines move.
 */
function span(file: string, from: string, to?: string): string {
  const lines = readFileSync(file, "utf8").split("\n");
  const has = (line: string, text: string) =>
    text.startsWith("^") ? line.startsWith(text.slice(1)) : line.includes(text);
  const first = lines.findIndex((l) => has(l, from));
  const last = to === undefined ? first : lines.findIndex((l, i) => i > first && has(l, to));
  if (first === -1 || last === -1) throw new Error(`${file}: no lines from '${from}' to '${to}'`);
  return `${file}:${first + 1}-${last + 1}`;
}

const unit = (names: string[]) => names.map((n) => `test/unit/${n}.test.ts`);
const integration = (names: string[]) => names.map((n) => `test/integration/${n}.test.ts`);

const GROUPS: Group[] = [
  {
    name: "callers, policy, kernel, redaction, group commit",
    mutate: [
      "src/callers/**/*.ts",
      "src/policy/**/*.ts",
      "src/kernel/{secret,arm-scope,glob,traceparent}.ts",
      "src/telemetry/redact.ts",
      // commitBatch: the group commit of the SQLite store.
      span("src/jobs/sqlite/writes.ts", "export function commitBatch(", "^}"),
    ],
    tests: unit([
      "attack-regressions",
      "mutation-core",
      "config",
      "scope",
      "kernel",
      "authorize",
      "role-definition",
      "oidc-callers",
      "signed-callers",
      "eventgrid-caller",
      "github-signature",
      "oidc-issuers.security",
      "caller-verifiers",
      "jwt-refusals",
      "policy-edges",
      "rate-limit",
      "redact",
      "group-commit",
    ]),
    isolate: false,
  },
  {
    name: "ingress idempotency, commit before answer, read before write",
    mutate: [
      // The lines that build idempotency keys and hand the submission to the store.
      span("src/ingress/api.ts", "const result = await accept(deps, {", "const [job] = result.jobs;"),
      span("src/ingress/hooks.ts", "const result = await accept(deps, {", "return acceptedResponse("),
      span("src/ingress/events.ts", "const idempotencyKey = `event:"),
      // Commit before the answer: the store's accept, and what a failed COMMIT answers.
      span("src/ingress/accept.ts", "let result: AcceptResult;", "// An event is a duplicate when none"),
      // Read before write: the checkpoint before the first poll, and the look before a retried write.
      span(
        "src/jobs/attempt.ts",
        "async trackLongRunning(",
        'return { kind: "succeeded", result, alreadyApplied: false };',
      ),
      span(
        "src/operations/resource-group-ensure.ts",
        "const sameLocation =",
        "export const resourceGroupEnsure",
      ),
      span("src/operations/resource-group-ensure.ts", "async checkApplied(", "^});"),
      span("src/operations/resource-group-delete.ts", "async checkApplied(", "^});"),
    ],
    tests: integration(["idempotency-scope", "durability"]),
    isolate: true,
  },
];

/**
 * Per-folder thresholds (% of mutants killed or timed out, of those not ignored): 90 for callers/ and
 * policy/, 80 elsewhere in the core. Equivalent mutants are marked where they are, with a
 * `// Stryker disable next-line <mutator>: reason` comment, and count as ignored.
 */
const THRESHOLDS: Record<string, number> = {
  "src/callers": 90,
  "src/policy": 90,
  "src/kernel": 80,
  "src/telemetry": 80,
  "src/jobs": 80,
  "src/ingress": 80,
  "src/operations": 80,
};

/**
 * `--incremental` (CI) reuses the checked-in results of the last full run for every mutant whose code
 * and covering tests are unchanged; a plain run tests every mutant and writes those results anew.
 */
const incremental = process.argv.includes("--incremental");

async function runGroup(group: Group, number: number): Promise<MutantResult[]> {
  // vitest.mutation.config.ts reads these; Stryker's test runner processes inherit them.
  process.env.MUTATION_TESTS = group.tests.join(",");
  process.env.MUTATION_ISOLATE = group.isolate ? "1" : "0";
  const stryker = new Stryker({
    testRunner: "vitest",
    vitest: {
      configFile: "vitest.mutation.config.ts",
      related: false,
      pool: group.isolate ? "forks" : "threads",
    },
    coverageAnalysis: "perTest",
    // Mutants that only run while a module loads would need a reload and every test per mutant;
    // mutants both loaded and tested still run, with their tests (docs/mutation.md).
    ignoreStatic: true,
    mutate: group.mutate,
    concurrency: Math.max(1, Math.min(2, availableParallelism())),
    reporters: ["progress-append-only"],
    // Stryker rewrites tsconfig.json with TypeScript's compiler API, which TypeScript 7 no longer
    // has; the project's tsconfig needs no rewriting (no `extends` or `references` outside it).
    tsconfigFile: "tsconfig.stryker-none.json",
    tempDirName: ".stryker-tmp",
    cleanTempDir: "always",
    ignorePatterns: ["data", "coverage", "reports", "deploy", "bench", "docs", ".cache"],
    timeoutMS: 10_000,
    incremental: true,
    incrementalFile: `reports/stryker-incremental-${number}.json`,
    force: !incremental,
  });
  return stryker.runMutationTest();
}

function folderOf(file: string): string {
  const parts = file.replaceAll("\\", "/").split("/");
  const at = parts.indexOf("src");
  return parts.slice(at, at + 2).join("/");
}

function score(results: readonly MutantResult[]) {
  const folders = new Map<
    string,
    { killed: number; survived: number; noCoverage: number; ignored: number }
  >();
  for (const r of results) {
    const f = folders.get(folderOf(r.fileName)) ?? { killed: 0, survived: 0, noCoverage: 0, ignored: 0 };
    if (r.status === "Killed" || r.status === "Timeout") f.killed++;
    else if (r.status === "Survived") f.survived++;
    else if (r.status === "NoCoverage") f.noCoverage++;
    else f.ignored++;
    folders.set(folderOf(r.fileName), f);
  }
  return [...folders].sort(([a], [b]) => a.localeCompare(b));
}

function report(results: readonly MutantResult[]): boolean {
  let ok = true;
  console.log("\nfolder            killed  survived  no cov  ignored  score  threshold");
  for (const [folder, f] of score(results)) {
    const valid = f.killed + f.survived + f.noCoverage;
    const pct = valid === 0 ? 100 : (100 * f.killed) / valid;
    const threshold = THRESHOLDS[folder] ?? 80;
    ok &&= pct >= threshold;
    console.log(
      `${folder.padEnd(17)} ${String(f.killed).padStart(6)}  ${String(f.survived).padStart(8)}  ${String(f.noCoverage).padStart(6)}  ${String(f.ignored).padStart(7)}  ${pct.toFixed(1).padStart(5)}  ${String(threshold).padStart(9)}${pct >= threshold ? "" : "  BELOW"}`,
    );
  }
  return ok;
}

function writeSurvivors(results: readonly MutantResult[]): void {
  mkdirSync("reports", { recursive: true });
  const survivors = results
    .filter((r) => r.status === "Survived" || r.status === "NoCoverage")
    .map((r) => ({
      file: r.fileName.slice(r.fileName.indexOf("src/")),
      line: r.location.start.line,
      mutator: r.mutatorName,
      replacement: r.replacement,
      status: r.status,
    }));
  writeFileSync("reports/mutation-survivors.json", `${JSON.stringify(survivors, null, 2)}\n`);
}

// `npm run mutation -- --group 1` runs one group (1-based), e.g. to iterate on its survivors.
const only = process.argv.indexOf("--group");
const selected =
  only === -1 ? GROUPS : [GROUPS[Number(process.argv[only + 1]) - 1]].filter((g) => g !== undefined);
if (selected.length === 0) throw new Error(`--group takes 1..${GROUPS.length}`);

const started = Date.now();
const results: MutantResult[] = [];
for (const group of selected) {
  const at = Date.now();
  console.log(`\nmutation group: ${group.name}`);
  const own = await runGroup(group, GROUPS.indexOf(group) + 1);
  results.push(...own);
  // Each group's scores as soon as it is done, so a run cut short still tells something.
  report(own);
  writeSurvivors(results);
  console.log(`group took ${Math.round((Date.now() - at) / 1000)} s`);
}
console.log("\nall groups:");
const ok = report(results);
console.log(
  `\nmutation testing took ${Math.round((Date.now() - started) / 1000)} s; survivors in reports/mutation-survivors.json`,
);
if (!ok) process.exit(1);
