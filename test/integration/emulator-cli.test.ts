// The standalone emulator process: one JSON line on stdout, the CA written out, clean exit on SIGTERM.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

describe("emulator CLI", () => {
  it("starts, reports its endpoints, writes the CA and stops on SIGTERM", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "emulator-cli-"));
    const caFile = path.join(dir, "ca.pem");
    const child = spawn(
      process.execPath,
      ["src/emulator/cli.ts", "--ca-out", caFile, "--throttle-scale", "0.5"],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once("line", resolve);
        child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
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
      expect(await readFile(caFile, "utf8")).toContain("BEGIN CERTIFICATE");
      const probe = await fetch(`${info.imdsUrl}/metadata/identity/oauth2/token`);
      expect(probe.status).toBe(400);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
