// Vitest global setup: marks every process the test run starts, and at the end fails the run (after
// killing them) when an armbridge, emulator or Azurite process outlived the tests that started it.
import { randomUUID } from "node:crypto";
import { findLeftovers, RUN_MARKER } from "../helpers/leftovers.ts";

export function setup(): void {
  process.env[RUN_MARKER] ??= randomUUID();
}

export function teardown(): void {
  const runId = process.env[RUN_MARKER];
  if (!runId) return;
  const leftovers = findLeftovers(runId);
  for (const { pid } of leftovers) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone in the meantime.
    }
  }
  if (leftovers.length > 0) {
    throw new Error(
      `processes outlived the tests that started them (now killed):\n${leftovers
        .map((l) => `  ${l.pid} ${l.command}`)
        .join("\n")}`,
    );
  }
}
