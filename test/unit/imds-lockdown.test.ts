// The IMDS lock-down's ruleset, tested as the text it loads. A network-namespace run of the same rules
// (deploy/imds/selftest-netns.sh) needs nftables, which this project's machines do not carry.
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
    expect(output[0]).toBe("ip daddr 169.254.169.254 meta skuid { 10001 } accept");
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

  it("allows further uids only when asked, and another address for tests", async () => {
    const text = await ruleset("--uid", "10001", "--uid", "0", "--address", "127.0.0.54");
    expect(chain(text, "output")[0]).toBe("ip daddr 127.0.0.54 meta skuid { 10001, 0 } accept");
    expect(text).not.toContain("169.254.169.254");
  });

  it.each([
    [["--uid", "root"], "--uid must be a number"],
    [["--uid", "10001;flush"], "--uid must be a number"],
    [["--address", "169.254.169.254; flush ruleset"], "--address must be an IPv4 address"],
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
