// The kernel's one-of-each primitives: the traceparent reader, secret hashing and matching, the glob.
import { describe, expect, it } from "vitest";
import { globToRegex } from "../../src/kernel/glob.ts";
import { digestOfHash, hashSecret, matchSecret, SECRET_HASH } from "../../src/kernel/secret.ts";
import { parseTraceparent } from "../../src/kernel/traceparent.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

describe("parseTraceparent", () => {
  it("keeps a valid version-00 header, trimmed", () => {
    expect(parseTraceparent(` 00-${TRACE}-${PARENT}-01 `)).toBe(`00-${TRACE}-${PARENT}-01`);
  });

  it("reads a later version for its first four fields, as W3C asks", () => {
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-01`)).toBe(`01-${TRACE}-${PARENT}-01`);
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01-future`)).toBe(`cc-${TRACE}-${PARENT}-01-future`);
  });

  it("refuses version ff, all-zero ids, extra fields on version 00, upper case and junk", () => {
    for (const bad of [
      `ff-${TRACE}-${PARENT}-01`,
      `00-${"0".repeat(32)}-${PARENT}-01`,
      `00-${TRACE}-${"0".repeat(16)}-01`,
      `00-${TRACE}-${PARENT}-01-extra`,
      `00-${TRACE.toUpperCase()}-${PARENT}-01`,
      "00-abc-def-01",
      "",
      undefined,
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
  });
});

describe("secrets", () => {
  it("hashes to the one sha256:<hex> format and matches only the right key", () => {
    const hashes = ["first-key", "second-key"].map(hashSecret);
    for (const h of hashes) expect(h).toMatch(SECRET_HASH);
    const digests = hashes.map(digestOfHash);
    expect(matchSecret("second-key", digests)).toBe(1);
    expect(matchSecret("first-key", digests)).toBe(0);
    expect(matchSecret("third-key", digests)).toBe(-1);
    expect(matchSecret("", digests)).toBe(-1);
  });

  it("refuses a hash in any other format", () => {
    expect(() => digestOfHash("a".repeat(64))).toThrow(TypeError);
    expect(() => digestOfHash(`sha1:${"a".repeat(40)}`)).toThrow(TypeError);
  });
});

describe("globToRegex", () => {
  it("matches * within a part, ** across parts, ? one character, the rest literally", () => {
    expect(globToRegex("refs/heads/*").test("refs/heads/main")).toBe(true);
    expect(globToRegex("refs/heads/*").test("refs/heads/a/b")).toBe(false);
    expect(globToRegex("refs/**").test("refs/heads/a/b")).toBe(true);
    expect(globToRegex("v?.0").test("v1.0")).toBe(true);
    expect(globToRegex("v?.0").test("v1x0")).toBe(false);
  });

  it("keeps a leading ** apart from what follows it, and lets ** cross line breaks", () => {
    expect(globToRegex("**/x").test("a/b/x")).toBe(true);
    expect(globToRegex("**/x").test("ax")).toBe(false);
    expect(globToRegex("a/**").test("a/b\nc")).toBe(true);
  });

  it("answers the same compiled glob each time it is asked", () => {
    const first = globToRegex("app-*");
    expect(globToRegex("app-*")).toBe(first);
    expect(first.test("app-web")).toBe(true);
    expect(first.test("app-web")).toBe(true);
  });
});
