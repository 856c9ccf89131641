// OIDC callers: a bearer JWT from a CI system or Entra ID, verified against its issuer and the caller's conditions.
import type { OidcCallerConfig } from "../config/schema.ts";
import type { CallerVerifier, Verification } from "./caller.ts";
import { claimMatches, compileCondition } from "./claim-conditions.ts";
import { bearerJwt } from "./credentials.ts";
import { type KeySets, verifyJwt } from "./jwt.ts";
import { resolveIssuer } from "./oidc-presets.ts";

export function oidcVerifier(config: OidcCallerConfig, keySets: KeySets): CallerVerifier {
  const issuer = resolveIssuer(config);
  const policy = {
    issuers: issuer.issuers,
    audiences: issuer.audiences,
    algorithms: config.algorithms,
    clockSkewSeconds: config.clockSkewSeconds,
  };
  const conditions = Object.entries(config.conditions).map(([claim, c]) => ({
    claim,
    matches: compileCondition(c),
  }));
  return {
    id: config.id,
    kind: "oidc",
    presents: ({ headers }) => bearerJwt(headers) !== undefined,
    async verify({ headers }): Promise<Verification> {
      // Stryker disable next-line StringLiteral: verify runs only when a token is presented
      const verified = await verifyJwt(bearerJwt(headers) ?? "", keySets.get(issuer.jwksUrl), policy);
      if (!verified.ok) return verified;
      const claims = verified.claims as Record<string, unknown>;
      const tooLong = lifetimeProblem(claims, config.maxTokenLifetimeSeconds, config.clockSkewSeconds);
      if (tooLong) return { ok: false, reason: tooLong };
      for (const [claim, expected] of Object.entries(issuer.pinned)) {
        // Optional claims (Azure DevOps service connection tokens have no org_id) are pinned by the issuer.
        if (claims[claim] !== undefined && String(claims[claim]).toLowerCase() !== expected) {
          return { ok: false, reason: `the token's '${claim}' claim is not accepted` };
        }
      }
      const inconsistent = issuer.check(claims);
      if (inconsistent) return { ok: false, reason: inconsistent };
      const subjects = issuer.subjects(claims);
      for (const { claim, matches } of conditions) {
        const value = claim === "sub" ? subjects : claims[claim];
        if (!claimMatches(matches, value)) {
          return { ok: false, reason: `the token's '${claim}' claim does not meet the caller's conditions` };
        }
      }
      const keep = issuer.claims
        ? new Set([...issuer.claims, ...conditions.map((c) => c.claim)])
        : new Set(Object.keys(claims).filter((k) => !["jti", "nbf", "iat", "exp"].includes(k)));
      return {
        ok: true,
        deliveryId: headers.get("idempotency-key") ?? undefined,
        caller: {
          id: config.id,
          kind: "oidc",
          // Stryker disable next-line StringLiteral: every preset names at least one subject
          subject: subjects[0] ?? "",
          claims: Object.fromEntries(Object.entries(claims).filter(([k]) => keep.has(k))),
        },
      };
    },
  };
}

/**
 * With a maximum lifetime: a token issued for longer, or issued longer ago, is refused. `exp` and
 * `iat` are present (verification requires them).
 */
function lifetimeProblem(
  claims: Record<string, unknown>,
  maxSeconds: number | undefined,
  skewSeconds: number,
  nowSeconds = Date.now() / 1000,
): string | undefined {
  // Stryker disable next-line ConditionalExpression: without a maximum the comparisons below are false anyway
  if (maxSeconds === undefined) return undefined;
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  if (exp - iat > maxSeconds) return "the token's lifetime is longer than this caller accepts";
  // Stryker disable next-line ConditionalExpression,EqualityOperator: with exp - iat <= max, a token older than max + skew has expired beyond the skew, which jose refused already
  if (nowSeconds - iat > maxSeconds + skewSeconds) return "the token is older than this caller accepts";
  return undefined;
}
