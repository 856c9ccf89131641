// Proves the project's rule that test traffic stays on loopback, for a spawned process: its
// environment preloads record-connections.ts, and the test reads back where it connected.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1", "localhost"]);

export interface ConnectionLog {
  /** Merged into the spawned process's environment. */
  env: Record<string, string>;
  /** Every host the process connected to and every address it tried, without repeats. */
  remotes(): string[];
  /** Those that are not loopback (127.0.0.1, ::1, localhost). */
  offLoopback(): string[];
}

export function recordConnections(dir: string): ConnectionLog {
  const file = join(dir, "connections.log");
  const preload = pathToFileURL(join(import.meta.dirname, "record-connections.ts")).href;
  const remotes = () => {
    if (!existsSync(file)) return [];
    // Lines are `host <name or address>` and `address <address>`.
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    return [...new Set(lines.map((l) => l.slice(l.indexOf(" ") + 1)))];
  };
  return {
    env: {
      ARMBRIDGE_TEST_CONNECTIONS_FILE: file,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${preload}`.trim(),
    },
    remotes,
    offLoopback: () => remotes().filter((r) => !LOOPBACK.has(r)),
  };
}
