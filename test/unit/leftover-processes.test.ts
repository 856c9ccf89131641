// The run's leftover check sees a suite process that outlived its test, and only this run's.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { findLeftovers, RUN_MARKER } from "../helpers/leftovers.ts";

describe("the leftover process check", () => {
  it("finds a marked emulator-like process until it is gone", async () => {
    const runId = `unit-${randomUUID()}`;
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "azure-emulator"], {
      env: { ...process.env, [RUN_MARKER]: runId },
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      await new Promise((resolve) => child.once("spawn", resolve));
      // The environment is readable once the exec happened; poll briefly for it.
      let found = findLeftovers(runId);
      for (let i = 0; i < 100 && found.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        found = findLeftovers(runId);
      }
      expect(found.map((l) => l.pid)).toEqual([child.pid]);
      expect(findLeftovers(`other-${randomUUID()}`)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    expect(findLeftovers(runId)).toEqual([]);
  });
});
