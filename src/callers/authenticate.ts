// Caller authentication for every ingress: which of the callers an entry point allows sent this request.
import type { CallerConfig } from "../config/schema.ts";
import { apiKeyVerifier } from "./api-key.ts";
import type { Authentication, CallerRequest, CallerVerifier, RefusalCode } from "./caller.ts";
import { eventGridVerifier } from "./eventgrid.ts";
import { githubWebhookVerifier } from "./github-webhook.ts";
import { type KeySetOptions, KeySets } from "./jwt.ts";
import { oidcVerifier } from "./oidc.ts";
import { ReplayGuard, standardWebhookVerifier } from "./standard-webhook.ts";

export type Authenticator = (request: CallerRequest, allowed: readonly string[]) => Promise<Authentication>;

export interface AuthenticatorOptions {
  jwks?: KeySetOptions;
  /** The clock for timestamps and expiry (tests pass their own). */
  now?: () => number;
}

const CREDENTIAL_OF: Record<CallerConfig["kind"], string> = {
  "github-webhook": "X-Hub-Signature-256",
  "standard-webhook": "webhook-signature",
  "api-key": "Authorization: Bearer <API key>",
  oidc: "Authorization: Bearer <OIDC token>",
  eventgrid: "Authorization: Bearer <Entra ID token> or the delivery secret",
};

export function createAuthenticator(
  callers: readonly CallerConfig[],
  options: AuthenticatorOptions = {},
): Authenticator {
  const keySets = new KeySets(options.jwks);
  const replays = new ReplayGuard();
  const verifierOf = (c: CallerConfig): CallerVerifier => {
    switch (c.kind) {
      case "github-webhook":
        return githubWebhookVerifier(c);
      case "standard-webhook":
        return standardWebhookVerifier(c, replays, options.now);
      case "api-key":
        return apiKeyVerifier(c, options.now);
      case "oidc":
        return oidcVerifier(c, keySets);
      case "eventgrid":
        return eventGridVerifier(c, keySets);
    }
  };
  const verifiers = new Map(callers.map((c) => [c.id, verifierOf(c)]));
  // An entry point passes the same list of caller ids on every request: its verifiers are found once.
  const candidatesOf = new WeakMap<readonly string[], CallerVerifier[]>();

  return async (request, allowed) => {
    let candidates = candidatesOf.get(allowed);
    // Stryker disable next-line ConditionalExpression: a cache; the list found afresh is the same list
    if (!candidates) {
      candidates = allowed.flatMap((id) => verifiers.get(id) ?? []);
      // Stryker disable next-line CallExpression: a cache; without it the list is found afresh, the same
      candidatesOf.set(allowed, candidates);
    }
    const presented = candidates.filter((v) => v.presents(request));
    if (presented.length === 0) {
      const expected = [...new Set(candidates.map((v) => CREDENTIAL_OF[v.kind]))];
      const reason =
        expected.length === 0
          ? "no caller is configured for this entry point"
          : `missing credentials: send ${expected.join(" or ")}`;
      return { ok: false, code: "unauthenticated", reason, attempted: [] };
    }
    const reasons = new Set<string>();
    let transient = false;
    // Every presented caller is tried in config order; the first that verifies is the caller.
    for (const verifier of presented) {
      const result = await verifier.verify(request);
      if (result.ok) return result;
      reasons.add(result.reason);
      transient ||= result.transient === true;
    }
    const signed = presented.every((v) => v.kind === "github-webhook" || v.kind === "standard-webhook");
    const code: RefusalCode = transient ? "unavailable" : signed ? "bad_signature" : "unauthenticated";
    // One caller tried: its reason is about this credential. Several that disagree: each reason tells
    // how one caller is configured (pinned on `sub`, on a repository id), so none of them is given.
    const [only] = reasons;
    const reason =
      reasons.size === 1
        ? (only as string)
        : `the credential is not accepted by any caller of this entry point`;
    return { ok: false, code, reason, attempted: presented.map((v) => v.id), reasons: [...reasons] };
  };
}
