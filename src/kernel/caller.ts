// Who is asking: the verified identity every layer attributes its work to (callers/ produces it).
/** The kinds of configured caller; config/schema.ts checks that its discriminated union has exactly these. */
export const CALLER_KINDS = ["github-webhook", "standard-webhook", "api-key", "oidc", "eventgrid"] as const;

export type CallerKind = (typeof CALLER_KINDS)[number];

export interface Caller {
  /** The configured caller id; stable across requests, used in grants and audit. */
  id: string;
  kind: CallerKind;
  /** A human-readable subject, e.g. `repo:org/app:ref:refs/heads/main` or the webhook's sender. */
  subject: string;
  /** Verified claims that routes and grants may use. Never secrets. */
  claims: Record<string, unknown>;
  /** Whom the caller acted for, as the delivered event says (the caller is who delivered it). */
  onBehalfOf?: OnBehalfOf;
}

/**
 * The original actor behind a delivery: the principal whose ARM write raised a `Microsoft.Resources.*`
 * event, or the one a CloudEvent names in its `authcontext` extension. Asserted by the event,
 * trusted as far as its authenticated deliverer is.
 */
export interface OnBehalfOf {
  /** The principal's stable id: the Entra object id, or the CloudEvents `authid`. */
  id: string;
  /** A display name or UPN, when the event carries one. */
  name?: string;
  /** `entra-principal`, or the CloudEvents `authtype` (`user`, `app_user`, `service_account`, …). */
  kind: string;
  /** Where it was read. */
  source: "data.claims" | "data.authorization" | "authcontext";
  /** The client application the principal used (Entra `appid`), when known. */
  appId?: string;
  /**
   * Which claim of `data.claims` the id is: the object id, or, when the event carries none, the
   * UPN, the name or the application id (weaker: a UPN or name can be reassigned).
   */
  claim?: "oid" | "upn" | "name" | "appid";
}

/** The one-line form of the original actor in audit records and logs: `kind:id (name)`. */
export function describeOnBehalfOf(o: OnBehalfOf | undefined): string | undefined {
  if (!o) return undefined;
  return o.name ? `${o.kind}:${o.id} (${o.name})` : `${o.kind}:${o.id}`;
}
