// The bench's process housekeeping: every child runs in its own process group, and every group it
// started is killed when the bench ends, however it ends.
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";

const groups = new Set<number>();

/** Spawns `command` as the leader of a new process group that `killAll` (and the bench's exit) ends. */
export function spawnGroup(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options, detached: true });
  const pid = child.pid;
  if (pid !== undefined) {
    groups.add(pid);
    child.once("exit", () => groups.delete(pid));
  }
  return child;
}

/** Kills one child's whole process group (adnanh/webhook's commands, a spawned npm's node). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
  return exited;
}

/** Takes a group spawned elsewhere (the emulator's) into the set the bench's exit kills. */
export function adoptGroup(pid: number): void {
  groups.add(pid);
}

export function killAll(): void {
  for (const pid of groups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  groups.clear();
}

process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** A loopback port free right now (for servers that need one named, and to poll before they listen). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Installs a Debian package when its command is missing, as `.ci/run` installs Chromium. */
export function ensureDebianPackage(command: string, pkg: string): void {
  if (spawnSync("sh", ["-c", `command -v ${command}`]).status === 0) return;
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  const run = (args: string[]) => {
    const [cmd = "", ...rest] = [...sudo, ...args];
    const result = spawnSync(cmd, rest, {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (result.status !== 0) throw new Error(`${args.join(" ")} failed; install ${pkg} by hand`);
  };
  run(["apt-get", "update", "-q"]);
  run(["apt-get", "install", "-y", "-q", "--no-install-recommends", pkg]);
}

/** Collects a child's stdout lines and resolves with the first one `match` accepts. */
export function firstLine<T>(
  child: ChildProcess,
  match: (line: string) => T | undefined,
  ms = 30_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let partial = "";
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`no expected line within ${ms} ms:\n${seen}`)), ms);
    child.stderr?.setEncoding("utf8").on("data", (c: string) => {
      seen += c;
    });
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) {
        seen += `${line}\n`;
        const found = match(line);
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        }
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${seen}`));
    });
  });
}
