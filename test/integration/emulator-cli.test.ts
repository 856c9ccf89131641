// `npm run emulator` at the repository root, as the README gives it: the first JSON line on stdout names
// the endpoints, the CA file and the subscriptions, the CA is written out, and SIGTERM ends it cleanly.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

/** npm as the running `npm test` found it (npm sets npm_execpath), else the one on PATH. */
function npm(args: string[]) {
  const execPath = process.env.npm_execpath;
  const [command, argv] = execPath ? [process.execPath, [execPath, ...args]] : ["npm", args];
  // Its own process group, so the test ends npm and the emulator below it together.
  return spawn(command, argv, { stdio: ["ignore", "pipe", "inherit"], detached: true });
}

/** The node process below npm (under its shell, if one stays) that runs `script` (Linux /proc). */
function descendantRunning(pid: number, script: string): number | undefined {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean);
  for (const child of children.map(Number)) {
    const [program, ...args] = readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0");
    if (program === process.execPath || program?.endsWith("node")) {
      if (args.some((a) => a.endsWith(script))) return child;
    }
    const below = descendantRunning(child, script);
    if (below) return below;
  }
  return undefined;
}

describe("npm run emulator", () => {
  it("starts, reports its endpoints, writes the CA and stops on SIGTERM", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "emulator-cli-"));
    const caFile = path.join(dir, "ca.pem");
    const child = npm(["run", "emulator", "--", "--ca-out", caFile, "--throttle-scale", "0.5"]);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      // npm prints its own banner first; the emulator's first line is the first JSON line.
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on("line", (l) => {
          if (l.startsWith("{")) resolve(l);
        });
        void exited.then((code) => reject(new Error(`exited early with ${code}`)));
      });
      const info = JSON.parse(line) as {
        armUrl: string;
        imdsUrl: string;
        caFile: string;
        subscriptions: string[];
      };
      expect(info.armUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(info.imdsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.caFile).toBe(caFile);
      expect(info.subscriptions).toEqual(["00000000-0000-0000-0000-000000000001"]);
      expect(await readFile(caFile, "utf8")).toContain("BEGIN CERTIFICATE");
      const probe = await fetch(`${info.imdsUrl}/metadata/identity/oauth2/token`);
      expect(probe.status).toBe(400);
      // SIGTERM to the emulator itself: it stops cleanly, and npm passes its exit code on.
      const emulatorPid = descendantRunning(child.pid as number, "cli.ts");
      expect(emulatorPid).toBeDefined();
      process.kill(emulatorPid as number, "SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(-(child.pid as number), "SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });
});
