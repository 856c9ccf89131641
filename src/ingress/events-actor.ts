// The original actor an event names: the principal behind a `Microsoft.Resources.*` event, or the
// CloudEvents Auth Context extension (`authtype`, `authid`) of any other event.
import type { OnBehalfOf } from "../kernel/caller.ts";

const OID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier";
const UPN_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
const NAME_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";
/** Enough for any object id, UPN or display name; longer values are cut, not trusted to be short. */
const MAX_LENGTH = 256;

const text = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v.slice(0, MAX_LENGTH) : undefined;

/** Resource events carry `claims` and `authorization` as objects, older payloads as JSON strings. */
function record(v: unknown): Record<string, unknown> | undefined {
  if (typeof v === "string") {
    try {
      return record(JSON.parse(v));
    } catch {
      return undefined;
    }
  }
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/**
 * The object id when the claims hold one; else the authorization evidence's principal id; else what
 * the claims still say (UPN, name, application id), with `claim` naming which one became the id.
 */
function fromResourceEvent(data: unknown): OnBehalfOf | undefined {
  const body = record(data);
  const claims = record(body?.claims);
  const upn = text(claims?.[UPN_CLAIM]) ?? text(claims?.upn) ?? text(claims?.unique_name);
  const name = text(claims?.name) ?? upn ?? text(claims?.[NAME_CLAIM]);
  const appId = text(claims?.appid) ?? text(claims?.azp);
  const details = { ...(name ? { name } : {}), ...(appId ? { appId } : {}) };
  const oid = text(claims?.[OID_CLAIM]) ?? text(claims?.oid);
  if (oid) return { id: oid, ...details, kind: "entra-principal", source: "data.claims", claim: "oid" };
  const principal = text(record(record(body?.authorization)?.evidence)?.principalId);
  if (principal) {
    return { id: principal, ...details, kind: "entra-principal", source: "data.authorization" };
  }
  const named = upn ? (["upn", upn] as const) : name ? (["name", name] as const) : undefined;
  if (named)
    return { id: named[1], ...details, kind: "entra-principal", source: "data.claims", claim: named[0] };
  return appId
    ? { id: appId, kind: "entra-application", source: "data.claims", claim: "appid", appId }
    : undefined;
}

/** `extensions` are a CloudEvent's extension attributes (none for the Event Grid schema). */
export function originalActor(
  type: string,
  data: unknown,
  extensions: Record<string, unknown> | undefined,
): OnBehalfOf | undefined {
  if (type.startsWith("Microsoft.Resources.")) {
    const actor = fromResourceEvent(data);
    if (actor) return actor;
  }
  const authId = text(extensions?.authid);
  if (!authId) return undefined;
  return { id: authId, kind: text(extensions?.authtype) ?? "unknown", source: "authcontext" };
}
