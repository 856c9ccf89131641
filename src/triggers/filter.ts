// Trigger filters: whether an event and its caller meet a route's conditions (the schema is in config/).
import type { Condition, Filter } from "../config/filter-schema.ts";
import { globToRegex } from "../kernel/glob.ts";
import { lookupPath } from "./path.ts";

export function matchesFilter(filter: Filter, subject: unknown): boolean {
  if ("all" in filter) return filter.all.every((f) => matchesFilter(f, subject));
  if ("any" in filter) return filter.any.some((f) => matchesFilter(f, subject));
  if ("not" in filter) return !matchesFilter(filter.not, subject);
  return matchesCondition(filter, lookupPath(subject, filter.field));
}

function matchesCondition(c: Condition, value: unknown): boolean {
  if (c.exists !== undefined) return (value !== undefined && value !== null) === c.exists;
  if (value === undefined || value === null) return c.anythingBut !== undefined;
  // Like Event Grid advanced filters on arrays: a condition holds when it holds for any element.
  if (Array.isArray(value)) return value.some((v) => matchesCondition(c, v));
  const fold = (s: string) => (c.ignoreCase ? s.toLowerCase() : s);
  const text = typeof value === "object" ? undefined : fold(String(value));
  const same = (expected: string | number | boolean) =>
    typeof expected === "string" ? text === fold(expected) : value === expected;
  if (c.equals !== undefined) return same(c.equals);
  if (c.in !== undefined) return c.in.some(same);
  if (text === undefined) return false;
  if (c.prefix !== undefined) return text.startsWith(fold(c.prefix));
  if (c.suffix !== undefined) return text.endsWith(fold(c.suffix));
  if (c.contains !== undefined) return text.includes(fold(c.contains));
  if (c.glob !== undefined) return globToRegex(fold(c.glob)).test(text);
  if (c.numeric !== undefined) return inRange(value, c.numeric);
  if (c.anythingBut !== undefined) {
    const but = c.anythingBut;
    if (Array.isArray(but)) return !but.some(same);
    if (typeof but === "object") return !text.startsWith(fold(but.prefix));
    return !same(but);
  }
  return false;
}

function inRange(value: unknown, r: { gt?: number; gte?: number; lt?: number; lte?: number }): boolean {
  if (typeof value !== "number" || Number.isNaN(value)) return false;
  return (
    (r.gt === undefined || value > r.gt) &&
    (r.gte === undefined || value >= r.gte) &&
    (r.lt === undefined || value < r.lt) &&
    (r.lte === undefined || value <= r.lte)
  );
}
