// ARM scopes: canonical form, and matching against grant patterns with `*` inside one segment.
import { globToRegex } from "./glob.ts";

/** A scope that passed canonicalisation: `path` keeps the caller's casing, `key` is for comparing. */
export interface Scope {
  path: string;
  key: string;
  /** Lowercased segments of `path`. */
  segments: string[];
  subscriptionId: string;
  resourceGroup: string | undefined;
  /** The innermost resource type, e.g. `microsoft.compute/virtualmachines`; undefined above resources. */
  resourceType: string | undefined;
}

export type ScopeParse = { ok: true; scope: Scope } | { ok: false; reason: string };

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._()-]*$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NAMESPACE = /^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)+$/;

/**
 * Parses an ARM scope strictly. ARM ids are case-insensitive, so the comparison key is lowercased;
 * anything that a path normaliser or proxy could reinterpret (`..`, encoded bytes, empty or
 * trailing segments, backslashes) is refused rather than repaired.
 */
export function parseScope(input: string): ScopeParse {
  const fail = (reason: string): ScopeParse => ({ ok: false, reason });
  if (input.length === 0 || input.length > 1024) return fail("scope must be 1 to 1024 characters");
  if (!input.startsWith("/")) return fail("scope must start with '/'");
  if (input.length > 1 && input.endsWith("/")) return fail("scope must not end with '/'");
  const raw = input.slice(1).split("/");
  for (const segment of raw) {
    if (segment === "") return fail("scope must not contain empty segments");
    if (segment === "." || segment === "..") return fail("scope must not contain '.' or '..'");
    if (!SEGMENT.test(segment)) return fail(`scope segment '${segment}' has characters ARM ids do not use`);
  }
  const segments = raw.map((s) => s.toLowerCase());
  if (segments[0] !== "subscriptions" || !segments[1]) {
    return fail("scope must start with /subscriptions/{subscriptionId}");
  }
  if (!GUID.test(segments[1])) return fail("the subscription id must be a GUID");
  if (segments.length % 2 !== 0) {
    // ARM ids are type/name pairs: an odd count is a type without its name.
    return fail("scope must end with a name, not a type");
  }
  const structure = parseStructure(segments);
  if (typeof structure === "string") return fail(structure);
  return {
    ok: true,
    scope: {
      path: input,
      key: input.toLowerCase(),
      segments,
      subscriptionId: segments[1],
      ...structure,
    },
  };
}

/**
 * After the subscription: an optional `resourceGroups/{name}`, then `providers/{Namespace}/{type}/{name}`
 * with nested `{type}/{name}` pairs, and again `providers/…` for extension resources.
 */
function parseStructure(
  segments: string[],
): { resourceGroup: string | undefined; resourceType: string | undefined } | string {
  let i = 2;
  let resourceGroup: string | undefined;
  if (segments[i] === "resourcegroups") {
    resourceGroup = segments[i + 1];
    i += 2;
  }
  let resourceType: string | undefined;
  while (i < segments.length) {
    if (segments[i] !== "providers") {
      return `scope segment '${segments[i]}' must be 'providers'${i === 2 ? " or 'resourceGroups'" : ""}`;
    }
    const namespace = segments[i + 1] as string;
    if (!NAMESPACE.test(namespace)) return `'${namespace}' is not a resource provider namespace`;
    i += 2;
    if (i >= segments.length) return "scope must name a resource type after its provider namespace";
    const types: string[] = [];
    while (i < segments.length && segments[i] !== "providers") {
      types.push(segments[i] as string);
      i += 2;
    }
    resourceType = [namespace, ...types].join("/");
  }
  return { resourceGroup, resourceType };
}

/** Why a grant's scope pattern is unusable, or undefined when it is fine. `*` is allowed within segments. */
export function checkScopePattern(pattern: string): string | undefined {
  if (!pattern.startsWith("/subscriptions/")) return "must start with /subscriptions/";
  if (/\/\/|\/$|%|\\/.test(pattern) || pattern.split("/").some((s) => s === "." || s === "..")) {
    return "must not contain '//', '.' or '..' segments, '%', '\\' or a trailing '/'";
  }
  // Every `*` stands for some valid segment text; with them replaced, the pattern must be a scope.
  const concrete = pattern
    .split("/")
    .map((s, i) =>
      i === 2 && s.includes("*") ? "00000000-0000-0000-0000-000000000000" : s.replaceAll("*", "x"),
    )
    .join("/");
  const parsed = parseScope(concrete);
  return parsed.ok ? undefined : parsed.reason.replace(/^scope /, "");
}

export function subscriptionOf(scope: Scope): string {
  return scope.subscriptionId;
}

/** True when `pattern` (a grant scope, `*` matching within one segment) covers `scope` or one of its parents. */
export function scopeMatches(pattern: string, scope: Scope): boolean {
  const parts = pattern.slice(1).toLowerCase().split("/");
  if (parts.length > scope.segments.length) return false;
  return parts.every((part, i) => segmentMatches(part, scope.segments[i] as string));
}

function segmentMatches(pattern: string, segment: string): boolean {
  // A segment holds no `/` and no `?` (parseScope and checkScopePattern refuse them), so the glob's
  // `*` is exactly "any text within this segment".
  return pattern.includes("*") ? globToRegex(pattern).test(segment) : pattern === segment;
}

export interface ResourceType {
  namespace: string;
  /** The type path below the namespace, e.g. `virtualMachines` or `sites/slots`. */
  type: string;
}

/** The provider namespace and type of a resource id (`…/providers/Microsoft.Web/sites/a/slots/b`). */
export function resourceTypeOf(resourceId: string): ResourceType | undefined {
  const segments = resourceId.split("/").filter(Boolean);
  const at = segments.map((s) => s.toLowerCase()).lastIndexOf("providers");
  const rest = at >= 0 ? segments.slice(at + 1) : [];
  if (rest.length < 3 || rest.length % 2 === 0) return undefined;
  const [namespace, ...pairs] = rest;
  const types = pairs.filter((_, i) => i % 2 === 0);
  return { namespace: namespace as string, type: types.join("/") };
}
