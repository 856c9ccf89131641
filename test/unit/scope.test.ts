import { describe, expect, it } from "vitest";
import { parseScope, scopeMatches } from "../../src/kernel/arm-scope.ts";

const SUB = "00000000-0000-0000-0000-000000000001";

describe("parseScope", () => {
  it.each([
    [`/subscriptions/${SUB}`],
    [`/subscriptions/${SUB}/resourceGroups/app-1`],
    [`/SUBSCRIPTIONS/${SUB}/resourcegroups/App-1/providers/Microsoft.Compute/virtualMachines/vm1`],
  ])("accepts %s and lowercases its key", (input) => {
    const result = parseScope(input);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.scope.path).toBe(input);
      expect(result.scope.key).toBe(input.toLowerCase());
    }
  });

  it.each([
    ["", "1 to 1024"],
    ["subscriptions/x", "start with '/'"],
    [`/subscriptions/${SUB}/`, "end with '/'"],
    [`/subscriptions/${SUB}//resourceGroups/a`, "empty segments"],
    [`/subscriptions/${SUB}/resourceGroups/app-1/../other`, "'..'"],
    [`/subscriptions/${SUB}/resourceGroups/app-1%2F..%2Fother`, "characters"],
    [`/subscriptions/${SUB}/resourceGroups/a\\b`, "characters"],
    [`/subscriptions/${SUB}/resourceGroups`, "name, not a type"],
    ["/providers/Microsoft.Compute", "start with /subscriptions/"],
  ])("refuses %j", (input, reason) => {
    const result = parseScope(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});

describe("scopeMatches", () => {
  const pattern = `/subscriptions/${SUB}/resourceGroups/app-*`;
  const scope = (s: string) => {
    const r = parseScope(s);
    if (!r.ok) throw new Error(r.reason);
    return r.scope;
  };

  it("matches a group and the resources inside it, case-insensitively", () => {
    expect(scopeMatches(pattern, scope(`/subscriptions/${SUB}/resourceGroups/app-1`))).toBe(true);
    expect(scopeMatches(pattern, scope(`/subscriptions/${SUB}/RESOURCEGROUPS/APP-1`))).toBe(true);
    expect(
      scopeMatches(
        pattern,
        scope(`/subscriptions/${SUB}/resourceGroups/app-1/providers/Microsoft.Web/sites/s`),
      ),
    ).toBe(true);
  });

  it("does not let * cross a segment or match a parent", () => {
    expect(scopeMatches(pattern, scope(`/subscriptions/${SUB}`))).toBe(false);
    expect(scopeMatches(pattern, scope(`/subscriptions/${SUB}/resourceGroups/other`))).toBe(false);
    expect(
      scopeMatches(
        `/subscriptions/${SUB}/resourceGroups/app`,
        scope(`/subscriptions/${SUB}/resourceGroups/app-2`),
      ),
    ).toBe(false);
    expect(
      scopeMatches(
        pattern,
        scope(`/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/app-1`),
      ),
    ).toBe(false);
  });
});
