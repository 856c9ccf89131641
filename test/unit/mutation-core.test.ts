// Exact behaviour of the kernel's ARM scope and secret primitives, written against the mutants
// StrykerJS left alive (npm run mutation): each case pins a boundary or a reason a change would move.
import { describe, expect, it } from "vitest";
import {
  checkScopePattern,
  parseScope,
  resourceTypeOf,
  type Scope,
  scopeMatches,
  subscriptionOf,
} from "../../src/kernel/arm-scope.ts";
import { digestOfHash, digestOfSecret, hashSecret, matchSecret } from "../../src/kernel/secret.ts";

const SUB = "00000000-0000-0000-0000-000000000001";
const RG = `/subscriptions/${SUB}/resourceGroups`;

const reasonOf = (input: string) => {
  const parsed = parseScope(input);
  return parsed.ok ? "accepted" : parsed.reason;
};
const scope = (input: string): Scope => {
  const parsed = parseScope(input);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.scope;
};

describe("parseScope boundaries and reasons", () => {
  it("takes up to 1024 characters", () => {
    const name = (n: number) => `${RG}/${"a".repeat(n - `${RG}/`.length)}`;
    expect(reasonOf(name(1024))).toBe("accepted");
    expect(reasonOf(name(1025))).toBe("scope must be 1 to 1024 characters");
  });

  it("tells a lone '/' (an empty segment) from a trailing '/'", () => {
    expect(reasonOf("/")).toBe("scope must not contain empty segments");
    expect(reasonOf(`/subscriptions/${SUB}/`)).toBe("scope must not end with '/'");
  });

  it.each([
    [`/subscriptions/${SUB}/foo/bar`, "scope segment 'foo' must be 'providers' or 'resourceGroups'"],
    [`${RG}/rg/foo/bar`, "scope segment 'foo' must be 'providers'"],
    [`${RG}/rg/providers/Microsoft.Web`, "scope must name a resource type after its provider namespace"],
    [`/subscriptions/${SUB}/providers/web/sites/a`, "'web' is not a resource provider namespace"],
    [`/subscriptions/not-a-guid`, "the subscription id must be a GUID"],
  ])("refuses %s: %s", (input, reason) => {
    expect(reasonOf(input)).toBe(reason);
  });

  it.each([
    [`/subscriptions/${SUB}`, undefined, undefined],
    [`${RG}/RG-1`, "rg-1", undefined],
    [`/subscriptions/${SUB}/providers/Microsoft.Web/sites/a`, undefined, "microsoft.web/sites"],
    [`${RG}/rg/providers/Microsoft.Web/sites/a/slots/b`, "rg", "microsoft.web/sites/slots"],
    [
      `${RG}/rg/providers/Microsoft.Web/sites/a/providers/Microsoft.Authorization/locks/l`,
      "rg",
      "microsoft.authorization/locks",
    ],
  ])("reads %s as group %s, type %s", (input, group, type) => {
    const s = scope(input);
    expect([s.subscriptionId, s.resourceGroup, s.resourceType]).toEqual([SUB, group, type]);
    expect(subscriptionOf(s)).toBe(SUB);
  });
});

describe("checkScopePattern", () => {
  const SHAPE = "must not contain '//', '.' or '..' segments, '%', '\\' or a trailing '/'";
  it.each([
    ["/subs/x", "must start with /subscriptions/"],
    [`${RG}//app`, SHAPE],
    [`${RG}/app/`, SHAPE],
    [`${RG}/app%2F`, SHAPE],
    [`${RG}/a\\b`, SHAPE],
    [`${RG}/./app`, SHAPE],
    [`${RG}/app/..`, SHAPE],
    [RG, "must end with a name, not a type"],
    [`/subscriptions/${SUB}/x/*`, "segment 'x' must be 'providers' or 'resourceGroups'"],
  ])("refuses %s: %s", (pattern, reason) => {
    expect(checkScopePattern(pattern)).toBe(reason);
  });

  it("accepts * within segments, the subscription's included", () => {
    expect(checkScopePattern(`/subscriptions/*/resourceGroups/app-*`)).toBeUndefined();
    expect(checkScopePattern(`${RG}/app-*/providers/Microsoft.Web/sites/*`)).toBeUndefined();
  });
});

describe("scopeMatches", () => {
  it("never matches a pattern longer than the scope, even with * where the scope has no segment", () => {
    expect(scopeMatches(`/subscriptions/${SUB}/*/*`, scope(`/subscriptions/${SUB}`))).toBe(false);
    expect(scopeMatches(`${RG}/app/providers/Microsoft.Web/sites/s`, scope(`${RG}/app`))).toBe(false);
  });
});

describe("resourceTypeOf", () => {
  it.each([
    [`${RG}/rg/providers/Microsoft.Web/sites/a/slots/b`, { namespace: "Microsoft.Web", type: "sites/slots" }],
    [`${RG}/rg/PROVIDERS/Microsoft.Web/sites/a`, { namespace: "Microsoft.Web", type: "sites" }],
    [
      `${RG}/rg/providers/Microsoft.Web/sites/a/providers/Microsoft.Authorization/locks/l`,
      { namespace: "Microsoft.Authorization", type: "locks" },
    ],
    [`${RG}/rg`, undefined],
    [`${RG}/rg/providers/Microsoft.Web`, undefined],
    [`${RG}/rg/providers/Microsoft.Web/sites`, undefined],
  ])("reads %s", (id, expected) => {
    expect(resourceTypeOf(id)).toEqual(expected);
  });
});

describe("secret primitives", () => {
  it("hashes a plain secret to the digest of its configured hash", () => {
    expect(digestOfSecret("k-1").equals(digestOfHash(hashSecret("k-1")))).toBe(true);
    // A known answer: SHA-256 of the UTF-8 bytes of "é" (c3 a9).
    expect(hashSecret("é")).toBe("sha256:4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c");
  });

  it("names the format it refuses", () => {
    expect(() => digestOfHash("md5:abc")).toThrow("not a sha256:<hex> secret hash");
  });

  it("answers the first matching digest when a key is listed twice", () => {
    const d = digestOfHash(hashSecret("twice"));
    expect(matchSecret("twice", [d, d])).toBe(0);
    expect(matchSecret("twice", [digestOfHash(hashSecret("other")), d, d])).toBe(1);
  });
});
