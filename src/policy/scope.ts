// ARM scopes: canonical form, and matching against grant patterns with `*` inside one segment.

/** A scope that passed canonicalisation: `path` keeps the caller's casing, `key` is for comparing. */
export interface Scope {
  path: string;
  key: string;
  segments: string[];
}

export type ScopeParse = { ok: true; scope: Scope } | { ok: false; reason: string };

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._()-]*$/;

/**
 * Parses an ARM scope strictly. ARM ids are case-insensitive, so the comparison key is lowercased;
 * anything that a path normaliser or proxy could reinterpret (`..`, encoded bytes, empty or
 * trailing segments, backslashes) is refused rather than repaired.
 */
export function parseScope(input: string): ScopeParse {
  if (input.length === 0 || input.length > 1024)
    return { ok: false, reason: "scope must be 1 to 1024 characters" };
  if (!input.startsWith("/")) return { ok: false, reason: "scope must start with '/'" };
  if (input.length > 1 && input.endsWith("/")) return { ok: false, reason: "scope must not end with '/'" };
  const segments = input.slice(1).split("/");
  for (const segment of segments) {
    if (segment === "") return { ok: false, reason: "scope must not contain empty segments" };
    if (segment === "." || segment === "..")
      return { ok: false, reason: "scope must not contain '.' or '..'" };
    if (!SEGMENT.test(segment))
      return { ok: false, reason: `scope segment '${segment}' has characters ARM ids do not use` };
  }
  if (segments[0]?.toLowerCase() !== "subscriptions" || !segments[1]) {
    return { ok: false, reason: "scope must start with /subscriptions/{subscriptionId}" };
  }
  if (segments.length % 2 !== 0) {
    // ARM ids are type/name pairs: an odd count is a type without its name.
    return { ok: false, reason: "scope must end with a name, not a type" };
  }
  return {
    ok: true,
    scope: { path: input, key: input.toLowerCase(), segments: segments.map((s) => s.toLowerCase()) },
  };
}

export function subscriptionOf(scope: Scope): string {
  return scope.segments[1] as string;
}

/** True when `pattern` (a grant scope, `*` matching within one segment) covers `scope` or one of its parents. */
export function scopeMatches(pattern: string, scope: Scope): boolean {
  const parts = pattern.slice(1).toLowerCase().split("/");
  if (parts.length > scope.segments.length) return false;
  return parts.every((part, i) => segmentMatches(part, scope.segments[i] as string));
}

function segmentMatches(pattern: string, segment: string): boolean {
  if (!pattern.includes("*")) return pattern === segment;
  const regex = new RegExp(`^${pattern.split("*").map(escapeRegex).join("[^/]*")}$`);
  return regex.test(segment);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
