import { defineConfig } from "vitest/config";

// Vitest reads its config from a default export; the project bans them elsewhere.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    pool: "forks",
    // Fails the run when a process a test started outlives it (armbridge, emulator, Azurite).
    globalSetup: ["test/setup/leftover-processes.ts"],
    // Each test must run at least one assertion (test/setup/assertions.ts).
    setupFiles: ["test/setup/assertions.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // `npm test` turns coverage on (`--coverage.enabled`); a run of a few files measures nothing, so
    // the per-folder thresholds below do not fail it.
    coverage: {
      enabled: false,
      provider: "v8",
      // armbridge processes the e2e tests spawn count too: their NODE_V8_COVERAGE output is merged.
      autoAttachSubprocess: true,
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "json-summary"],
      reportsDirectory: "coverage",
      // Per folder, 2 points under what the whole suite measured (docs/mutation.md): a folder whose
      // tests are dropped, or whose new code comes without them, fails the run.
      thresholds: {
        "src/audit/**": { lines: 80, statements: 76, functions: 84, branches: 67 },
        "src/azure/**": { lines: 92, statements: 88, functions: 93, branches: 71 },
        "src/callers/**": { lines: 97, statements: 97, functions: 98, branches: 92 },
        "src/cli/**": { lines: 87, statements: 84, functions: 91, branches: 79 },
        "src/config/**": { lines: 95, statements: 93, functions: 95, branches: 87 },
        "src/http/**": { lines: 96, statements: 95, functions: 96, branches: 87 },
        "src/ingress/**": { lines: 95, statements: 93, functions: 94, branches: 83 },
        "src/jobs/**": { lines: 88, statements: 84, functions: 78, branches: 77 },
        "src/kernel/**": { lines: 97, statements: 97, functions: 95, branches: 96 },
        "src/openapi/**": { lines: 88, statements: 88, functions: 98, branches: 64 },
        "src/operations/**": { lines: 94, statements: 89, functions: 91, branches: 67 },
        "src/policy/**": { lines: 98, statements: 98, functions: 98, branches: 94 },
        "src/telemetry/**": { lines: 91, statements: 89, functions: 87, branches: 77 },
        "src/triggers/**": { lines: 94, statements: 91, functions: 93, branches: 90 },
      },
    },
  },
});
