import { describe, expect, it } from "vitest";
import { type Filter, filterSchema } from "../../src/config/filter-schema.ts";
import { matchesFilter } from "../../src/triggers/filter.ts";

const ctx = {
  event: {
    type: "Microsoft.Resources.ResourceWriteSuccess",
    subject: "/subscriptions/s/resourceGroups/App-1/providers/Microsoft.Web/sites/web",
    data: {
      ref: "refs/heads/release/2.1",
      size: 42,
      tags: ["blue", "Green"],
      nested: { on: true },
      empty: null,
    },
  },
  caller: { id: "ci", claims: { repository: "contoso/web", environment: "prod" } },
};

const cases: [string, Filter, boolean][] = [
  ["equals string", { field: "event.data.ref", equals: "refs/heads/release/2.1" }, true],
  ["equals is case-sensitive", { field: "caller.claims.repository", equals: "Contoso/Web" }, false],
  ["equals ignoreCase", { field: "caller.claims.repository", equals: "Contoso/Web", ignoreCase: true }, true],
  ["equals number", { field: "event.data.size", equals: 42 }, true],
  ["equals number vs string", { field: "event.data.size", equals: "42" }, true],
  ["equals boolean", { field: "event.data.nested.on", equals: true }, true],
  ["in", { field: "caller.claims.environment", in: ["staging", "prod"] }, true],
  ["in miss", { field: "caller.claims.environment", in: ["staging", "dev"] }, false],
  ["prefix", { field: "event.data.ref", prefix: "refs/heads/release/" }, true],
  ["prefix miss", { field: "event.data.ref", prefix: "refs/tags/" }, false],
  ["suffix ignoreCase", { field: "event.subject", suffix: "SITES/WEB", ignoreCase: true }, true],
  ["contains", { field: "event.subject", contains: "/resourceGroups/App-1/" }, true],
  ["glob one segment", { field: "event.data.ref", glob: "refs/heads/release/*" }, true],
  ["glob does not cross /", { field: "event.data.ref", glob: "refs/*" }, false],
  ["glob ** crosses /", { field: "event.data.ref", glob: "refs/**" }, true],
  ["glob ? and literal dots", { field: "event.data.ref", glob: "refs/heads/release/?.1" }, true],
  ["glob dot is literal", { field: "event.data.ref", glob: "refs/heads/release/2x1" }, false],
  ["anythingBut value", { field: "caller.claims.environment", anythingBut: "dev" }, true],
  ["anythingBut list hit", { field: "caller.claims.environment", anythingBut: ["dev", "prod"] }, false],
  ["anythingBut prefix", { field: "event.data.ref", anythingBut: { prefix: "refs/heads/release/" } }, false],
  ["anythingBut on missing field", { field: "event.data.missing", anythingBut: "x" }, true],
  ["exists", { field: "event.data.nested.on", exists: true }, true],
  ["exists false on null", { field: "event.data.empty", exists: false }, true],
  ["exists false on present", { field: "event.data.size", exists: false }, false],
  ["numeric range", { field: "event.data.size", numeric: { gte: 10, lt: 50 } }, true],
  ["numeric bound excluded", { field: "event.data.size", numeric: { gt: 42 } }, false],
  ["numeric on a string", { field: "event.data.ref", numeric: { gt: 0 } }, false],
  ["array: any element", { field: "event.data.tags", equals: "green", ignoreCase: true }, true],
  ["array: none", { field: "event.data.tags", equals: "red" }, false],
  ["missing field fails", { field: "event.data.missing", equals: "x" }, false],
  ["prototype is not reachable", { field: "event.data.constructor", exists: true }, false],
  [
    "all",
    {
      all: [
        { field: "event.type", equals: "Microsoft.Resources.ResourceWriteSuccess" },
        { field: "caller.claims.environment", equals: "prod" },
      ],
    },
    true,
  ],
  [
    "all with one miss",
    {
      all: [
        { field: "event.data.size", equals: 42 },
        { field: "event.data.size", equals: 1 },
      ],
    },
    false,
  ],
  [
    "any",
    {
      any: [
        { field: "event.data.size", equals: 1 },
        { field: "event.data.size", equals: 42 },
      ],
    },
    true,
  ],
  ["not", { not: { field: "event.data.ref", prefix: "refs/tags/" } }, true],
  [
    "nested",
    {
      not: {
        any: [{ field: "event.data.size", equals: 1 }, { all: [{ field: "event.data.size", exists: true }] }],
      },
    },
    false,
  ],
];

describe("matchesFilter", () => {
  it.each(cases)("%s", (_name, filter, expected) => {
    expect(filterSchema.parse(filter)).toEqual(filter);
    expect(matchesFilter(filter, ctx)).toBe(expected);
  });
});

describe("filterSchema", () => {
  it.each([
    [{ field: "event.data.x" }, "exactly one"],
    [{ field: "event.data.x", equals: 1, prefix: "a" }, "exactly one"],
    [{ field: "process.env.HOME", exists: true }, "path under event"],
    [{ field: "event.data.x", numeric: {} }, "at least one"],
    [{ all: [] }, ""],
    [{ field: "event.data.x", regex: ".*" }, ""],
  ])("refuses %j", (filter, message) => {
    const result = filterSchema.safeParse(filter);
    expect(result.success).toBe(false);
    if (!result.success && message) expect(JSON.stringify(result.error.issues)).toContain(message);
  });
});
