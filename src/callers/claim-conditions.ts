// Claim conditions of OIDC callers: equality, alternatives and globs, compiled once at start.
import type { ClaimCondition } from "../config/callers-schema.ts";
import { globToRegex } from "../kernel/glob.ts";

export type ValueMatcher = (value: string) => boolean;

export function compileCondition(condition: ClaimCondition): ValueMatcher {
  if (typeof condition === "string") return (v) => v === condition;
  if (Array.isArray(condition)) return (v) => condition.includes(v);
  const globs = (Array.isArray(condition.glob) ? condition.glob : [condition.glob]).map(globToRegex);
  return (v) => globs.some((re) => re.test(v));
}

/**
 * True when a claim value satisfies the matcher. Scalars compare as strings (YAML `123` and the
 * token's `"123"` are the same id); a list claim (Entra `roles`) matches when any element does.
 */
export function claimMatches(matcher: ValueMatcher, value: unknown): boolean {
  if (Array.isArray(value)) return value.some((v) => claimMatches(matcher, v));
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return matcher(String(value));
  }
  return false;
}
