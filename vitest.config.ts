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
    coverage: {
      enabled: true,
      provider: "v8",
      // armbridge processes the e2e tests spawn count too: their NODE_V8_COVERAGE output is merged.
      autoAttachSubprocess: true,
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "json-summary"],
      reportsDirectory: "coverage",
      // Per folder, set just under what the suite measured (docs/mutation.md): a folder whose tests
      // are dropped fails the run.
      thresholds: {},
    },
  },
});
