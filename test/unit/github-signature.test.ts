import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { verifyGithubSignature } from "../../src/callers/github-webhook.ts";
import { Secret } from "../../src/config/secret.ts";

const body = JSON.stringify({ ref: "refs/heads/main", repository: { name: "app" } });
const bytes = new TextEncoder().encode(body);

describe("verifyGithubSignature", () => {
  it("accepts a signature made by GitHub's own library, with any active secret", async () => {
    const header = await sign("second-secret", body);
    expect(
      verifyGithubSignature(bytes, header, [new Secret("A", "first"), new Secret("B", "second-secret")]),
    ).toBe(true);
  });

  it("refuses a changed byte, another secret, and malformed headers", async () => {
    const header = await sign("s3cret", body);
    const changed = new TextEncoder().encode(body.replace("main", "mainx"));
    expect(verifyGithubSignature(changed, header, [new Secret("A", "s3cret")])).toBe(false);
    expect(verifyGithubSignature(bytes, header, [new Secret("A", "other")])).toBe(false);
    for (const bad of [undefined, "", "sha1=abc", `sha256=${"0".repeat(63)}`, `sha256=${"z".repeat(64)}`]) {
      expect(verifyGithubSignature(bytes, bad, [new Secret("A", "s3cret")])).toBe(false);
    }
  });

  it("never prints a secret's value", () => {
    const secret = new Secret("HOOK_SECRET", "do-not-print");
    expect(JSON.stringify({ secret })).not.toContain("do-not-print");
    expect(String(secret)).not.toContain("do-not-print");
  });
});
