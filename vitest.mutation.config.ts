import { defineConfig } from "vitest/config";

// The test files one mutation group runs (scripts/mutation.ts sets them): only tests that exercise
// the mutated code, so each mutant costs milliseconds, not an emulator start.
const include = (process.env.MUTATION_TESTS ?? "").split(",").filter(Boolean);

// Vitest reads its config from a default export; the project bans them elsewhere.
export default defineConfig({
  test: {
    include: include.length > 0 ? include : ["test/unit/**/*.test.ts"],
    setupFiles: ["test/setup/assertions.ts"],
    // One module graph for every run of a group: mutants are switched at run time, not by reloading.
    isolate: process.env.MUTATION_ISOLATE === "1",
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
