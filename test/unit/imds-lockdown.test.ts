// The IMDS lock-down: its ruleset as the text it loads, and the same rules loaded for real in a
// private network namespace (deploy/imds/selftest-netns.sh, as root: CI installs nftables for it).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const SCRIPT = "deploy/imds/armbridge-imds-lockdown.sh";

async function ruleset(...args: string[]): Promise<string> {
  const { stdout } = await run("sh", [SCRIPT, "--print", ...args]);
  return stdout;
}

/** The rule lines of one chain, in order, without its `type … hook` header. */
function chain(text: string, name: string): string[] {
  const lines = text.split("\n").map((l) => l.trim());
  const start = lines.indexOf(`chain ${name} {`);
  if (start < 0) throw new Error(`no chain ${name} in:\n${text}`);
  const end = lines.indexOf("}", start);
  return lines.slice(start + 1, end).filter((l) => l && !l.startsWith("type "));
}

describe("IMDS lock-down rules", () => {
  it("lets only armbridge's uid reach IMDS from the host and refuses everyone else at once", async () => {
    const text = await ruleset();
    expect(text).toContain("type filter hook output priority filter; policy accept;");
    const output = chain(text, "output");
    // Both conditions: armbridge's cgroup (another container's --user 10001 is not in it) and its uid.
    expect(output[0]).toBe(
      'ip daddr 169.254.169.254 socket cgroupv2 level 1 "armbridge.slice" meta skuid { 10001 } accept',
    );
    // Everything after the one accept refuses (or only logs): the refusal cannot be skipped.
    expect(output.slice(1).every((r) => r.includes("reject") || r.includes(" log "))).toBe(true);
    expect(output.filter((r) => r.includes("reject"))).toEqual([
      "ip daddr 169.254.169.254 meta l4proto tcp counter reject with tcp reset",
      "ip daddr 169.254.169.254 counter reject with icmpx type admin-prohibited",
    ]);
    expect(output.every((r) => r.startsWith("ip daddr 169.254.169.254 "))).toBe(true);
  });

  it("refuses every forwarded packet to IMDS, so no container on a bridge network reaches it", async () => {
    const forward = chain(await ruleset(), "forward");
    expect(forward.some((r) => r.includes("accept"))).toBe(false);
    expect(forward.at(-1)).toBe("ip daddr 169.254.169.254 counter reject with icmpx type admin-prohibited");
  });

  it("replaces its own table on every load and leaves other tables alone", async () => {
    const lines = (await ruleset()).split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "table inet armbridge_imds",
      "delete table inet armbridge_imds",
      "table inet armbridge_imds {",
    ]);
    expect(lines.join("\n")).not.toMatch(/flush ruleset/);
  });

  it("allows further uids only when asked, another cgroup or none, and another address for tests", async () => {
    const text = await ruleset("--uid", "10001", "--uid", "0", "--address", "127.0.0.54");
    expect(chain(text, "output")[0]).toBe(
      'ip daddr 127.0.0.54 socket cgroupv2 level 1 "armbridge.slice" meta skuid { 10001, 0 } accept',
    );
    expect(text).not.toContain("169.254.169.254");
    expect(chain(await ruleset("--cgroup", "system.slice/armbridge.scope"), "output")[0]).toContain(
      'socket cgroupv2 level 2 "system.slice/armbridge.scope" meta skuid',
    );
    expect(chain(await ruleset("--no-cgroup"), "output")[0]).toBe(
      "ip daddr 169.254.169.254 meta skuid { 10001 } accept",
    );
  });

  it.each([
    [["--uid", "root"], "--uid must be a number"],
    [["--uid", "10001;flush"], "--uid must be a number"],
    [["--address", "169.254.169.254; flush ruleset"], "--address must be an IPv4 address"],
    [["--cgroup", 'a" accept; flush ruleset; "'], "--cgroup must be a cgroup path"],
    [["--cgroup", "../etc"], "--cgroup must be a cgroup path"],
    [["--bogus"], "unknown argument"],
  ])("refuses %j with exit code 2 and prints no rules", async (args, message) => {
    const failed = await run("sh", [SCRIPT, "--print", ...args]).then(
      () => undefined,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stdout).toBe("");
    expect(failed?.stderr).toContain(message);
  });
});

describe("IMDS lock-down in a network namespace", () => {
  // Root runs it directly; CI machines that run the tests as another user have passwordless sudo,
  // whose secure_path would hide this node: NODE names it.
  const asRoot = (command: string[]) =>
    process.getuid?.() === 0 ? command : ["sudo", "-n", "env", `NODE=${process.execPath}`, ...command];

  it("lets only uid 10001 in armbridge's cgroup through, and the check restores the rules after a flush", async () => {
    const [file, ...args] = asRoot(["sh", "deploy/imds/selftest-netns.sh"]);
    const { stdout } = await run(file as string, args, {
      env: { ...process.env, NODE: process.execPath },
      timeout: 120_000,
    });
    const lines = stdout.trim().split("\n");
    expect(lines.filter((l) => !l.startsWith("PASS"))).toEqual([]);
    for (const expected of [
      "PASS  loaded: uid 10001 in the cgroup reaches it",
      "PASS  loaded: uid 10001 outside the cgroup is refused",
      "PASS  loaded: uid 0 in the cgroup is refused",
      "PASS  loaded: root outside the cgroup is refused",
      "PASS  flushed: IMDS is open to every uid",
      "PASS  flushed: the check logs an error",
      "PASS  flushed: the metric says 0 in force, 1 repair",
      "PASS  repaired: uid 10001 in the cgroup reaches it",
      "PASS  repaired: uid 10001 outside the cgroup is refused",
      "PASS  uid only, repaired: uid 10001 outside the cgroup is refused",
    ]) {
      expect(lines).toContain(expected);
    }
  }, 150_000);
});
