// armbridge as its own process, started the way the README says (`npm start`: the emulator in-process,
// then armbridge pointed at it), driven by the README's own snippet.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ArmbridgeProcess, startArmbridge } from "../helpers/processes.ts";

const run = promisify(execFile);

/** The script `npm start` runs with node, so the test starts exactly that (without npm in between). */
function npmStartEntry(): string {
  const start = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: { start: string } }).scripts
    .start;
  const entry = /^node (\S+)$/.exec(start)?.[1];
  if (!entry) throw new Error(`npm start is not 'node <script>': ${start}`);
  return entry;
}

describe("armbridge process", () => {
  let dir: string;
  let started: ArmbridgeProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "armbridge-e2e-"));
    // Nothing set: the launcher supplies the demo's dev secret and prints a curl that uses it.
    started = await startArmbridge(
      [],
      { ARMBRIDGE_DEMO_SECRET: "", ARMBRIDGE_PORT: "0", ARMBRIDGE_DATA_DIR: dir },
      npmStartEntry(),
    );
  });
  afterAll(() => {
    started?.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the README's curl example end to end with the default local config", async () => {
    const readme = readFileSync("README.md", "utf8");
    const snippet = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((m) => m[1] as string)
      .find((s) => s.includes("/hooks/demo"));
    expect(snippet).toBeDefined();
    const script = (snippet as string).replace(/^url=.*$/m, `url=${started.url}`);
    const { stdout } = await run("bash", ["-euo", "pipefail", "-c", script], {
      env: { ...process.env, ARMBRIDGE_DEMO_SECRET: "" },
      timeout: 20_000,
    });
    const job = JSON.parse(stdout) as { state: string; result: { id: string }; correlationId: string };
    expect(job.state).toBe("succeeded");
    expect(job.result.id).toBe("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/demo-web");
  });

  it("prints a ready-to-paste curl at start that runs the demo as printed", async () => {
    const printed = await printedSnippet(started);
    expect(printed).toContain(`url=${started.url}`);
    const { stdout } = await run("bash", ["-euo", "pipefail", "-c", printed], {
      env: { ...process.env, ARMBRIDGE_DEMO_SECRET: "" },
      timeout: 20_000,
    });
    const job = JSON.parse(stdout) as { state: string; caller: { id: string } };
    expect(job).toMatchObject({ state: "succeeded", caller: { id: "demo-ci" } });
  });

  it("reports ready once the store and the managed identity token are", async () => {
    const res = await fetch(`${started.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: "ready",
      checks: { store: { ok: true }, token: { ok: true } },
    });
  });

  it("drains and exits 0 on SIGTERM", async () => {
    started.child.kill("SIGTERM");
    expect(await started.exit).toBe(0);
    expect(started.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });
});

/** The curl block the launcher prints on stderr once armbridge listens (it may follow the log line). */
function printedSnippet(started: ArmbridgeProcess): Promise<string> {
  const find = () => /(export ARMBRIDGE_DEMO_SECRET=[\s\S]*?\/\\1\/')/.exec(started.lines.join(""))?.[1];
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = find();
      if (found === undefined) return false;
      started.child.stderr?.off("data", onData);
      resolve(found);
      return true;
    };
    const onData = () => void check();
    if (check()) return;
    started.child.stderr?.on("data", onData);
    started.exit.then(() => reject(new Error(`exited before printing the curl:\n${started.lines.join("")}`)));
  });
}

describe("a production start without the demo secret", () => {
  it("node src/main.ts refuses the local config when its secret is unset: only the launcher has a dev one", async () => {
    const child = spawn(process.execPath, ["src/main.ts", "--config", "config/local.yaml"], {
      env: { ...process.env, ARMBRIDGE_DEMO_SECRET: "", ARMBRIDGE_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain("callers[0].secrets[0]: environment variable ARMBRIDGE_DEMO_SECRET is not set");
  });
});

describe("armbridge with a bad config", () => {
  it("exits 2 and names every offending field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "armbridge-badcfg-"));
    const path = join(dir, "bad.yaml");
    writeFileSync(
      path,
      "server:\n  port: -1\ncallers:\n  - { id: ci, kind: github-webhook, secrets: [{ env: NOT_SET_ANYWHERE }] }\n",
    );
    const child = spawn(process.execPath, ["src/main.ts", "--config", path], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(stderr).toContain("server.port:");
    expect(stderr).toContain("callers[0].secrets[0]: environment variable NOT_SET_ANYWHERE is not set");
  });
});
