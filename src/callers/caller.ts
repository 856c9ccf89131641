// Who is asking: the verified identity every later layer attributes its work to.
import type { CallerKind } from "../config/schema.ts";

export type { CallerKind } from "../config/schema.ts";

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
}

/** The one-line form of the original actor in audit records and logs: `kind:id (name)`. */
export function describeOnBehalfOf(o: OnBehalfOf | undefined): string | undefined {
  if (!o) return undefined;
  return o.name ? `${o.kind}:${o.id} (${o.name})` : `${o.kind}:${o.id}`;
}

/** What an ingress adapter hands to authentication: the request as it arrived, body unparsed. */
export interface CallerRequest {
  method: string;
  url: string;
  headers: Headers;
  body: Uint8Array;
}

/** Why authentication failed: a bad HMAC, a missing or bad credential, or an issuer we could not reach. */
export type RefusalCode = "bad_signature" | "unauthenticated" | "unavailable";

export type Authentication =
  | {
      ok: true;
      caller: Caller;
      /** The sender's delivery id when it has one (X-GitHub-Delivery, webhook-id, Idempotency-Key). */
      deliveryId: string | undefined;
    }
  | {
      ok: false;
      code: RefusalCode;
      /** Safe to show the sender: names what failed, never a secret or another caller's settings. */
      reason: string;
      /** The configured callers whose credential was present and tried; for the log, not the response. */
      attempted: string[];
      /** Why each tried caller refused; for the log, not the response. */
      reasons?: string[];
    };

/** One configured caller's verifier: whether its kind of credential is present, and checking it. */
export interface CallerVerifier {
  id: string;
  kind: CallerKind;
  presents(request: CallerRequest): boolean;
  verify(request: CallerRequest): Promise<Verification>;
}

export type Verification =
  | { ok: true; caller: Caller; deliveryId: string | undefined }
  | { ok: false; reason: string; transient?: boolean };
