// Who is asking: the verified identity every later layer attributes its work to.
import type { Caller, CallerKind } from "../kernel/caller.ts";

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
