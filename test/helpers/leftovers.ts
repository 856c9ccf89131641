// Finds the armbridge, emulator and Azurite processes a test run started and left running: every
// process the run spawns inherits ARMBRIDGE_TEST_RUN, so only this run's processes are counted,
// never another worktree's. Linux only (/proc); elsewhere it finds nothing.
import { readdirSync, readFileSync } from "node:fs";

export const RUN_MARKER = "ARMBRIDGE_TEST_RUN";

/** What a left-over process of the suite runs: armbridge, the emulator, the local start script, Azurite. */
const SUITE_PROCESS = /src\/main\.ts|azure-emulator|start-local\.ts|azurite/;

export interface Leftover {
  pid: number;
  command: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined; // gone, or not ours to read
  }
}

export function findLeftovers(runId: string): Leftover[] {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  const marker = `${RUN_MARKER}=${runId}`;
  const found: Leftover[] = [];
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    const environ = read(`/proc/${pid}/environ`);
    if (!environ?.split("\0").includes(marker)) continue;
    const command = (read(`/proc/${pid}/cmdline`) ?? "").split("\0").join(" ").trim();
    if (command.includes("vitest") || !SUITE_PROCESS.test(command)) continue;
    // A zombie is already dead; its parent has not reaped it yet.
    if (/^\d+ \(.*\) Z/.test(read(`/proc/${pid}/stat`) ?? "")) continue;
    found.push({ pid: Number(pid), command });
  }
  return found;
}
