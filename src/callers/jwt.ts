// JWT verification against an issuer's JWKS: reusable by any ingress (OIDC callers, Event Grid's Entra tokens).
// jose is loaded with the first token, not at start: a config without JWT callers never needs it.
import type { JWTPayload, JWTVerifyGetKey, RemoteJWKSetOptions } from "jose";

type Jose = typeof import("jose");
let loaded: Promise<Jose> | undefined;
const jose = (): Promise<Jose> => (loaded ??= import("jose"));

export interface JwtPolicy {
  /** Exact `iss` values accepted (issuer pinning). */
  issuers: readonly string[];
  /** The token's `aud` must contain one of these. */
  audiences: readonly string[];
  /** Allow-list of JWS algorithms; never `none` or HMAC for an asymmetric issuer. */
  algorithms: readonly string[];
  /** Tolerance for `exp`, `nbf` and `iat` against clock drift. */
  clockSkewSeconds: number;
}

export type JwtVerification =
  | { ok: true; claims: JWTPayload }
  | {
      ok: false;
      reason: string;
      /** The issuer's keys could not be fetched: not the sender's fault, worth a retry. */
      transient?: boolean;
    };

export interface KeySetOptions {
  /** Time after a fetch before an unknown `kid` may trigger another one (protects the issuer). */
  cooldownMs?: number;
  /** How long fetched keys are used before they are fetched again. */
  maxAgeMs?: number;
  timeoutMs?: number;
}

/**
 * JWKS resolvers cached per URL, shared by every caller of the same issuer. jose refetches when a
 * token names an unknown `kid` (a rotated key) once the cooldown has passed.
 */
export class KeySets {
  readonly #sets = new Map<string, JWTVerifyGetKey>();
  readonly #options: RemoteJWKSetOptions;

  constructor(options: KeySetOptions = {}) {
    this.#options = {
      cooldownDuration: options.cooldownMs ?? 30_000,
      cacheMaxAge: options.maxAgeMs ?? 600_000,
      timeoutDuration: options.timeoutMs ?? 5_000,
    };
  }

  get(url: string): JWTVerifyGetKey {
    let set = this.#sets.get(url);
    if (!set) {
      const remote = jose().then((j) => j.createRemoteJWKSet(new URL(url), this.#options));
      set = async (header, token) => (await remote)(header, token);
      this.#sets.set(url, set);
    }
    return set;
  }
}

/** The unverified `iss` of a compact JWT, to pick which verifier to run; never trust it beyond that. */
function peekIssuer(j: Jose, token: string): string | undefined {
  try {
    const iss = j.decodeJwt(token).iss;
    return typeof iss === "string" ? iss : undefined;
  } catch {
    // Not a compact JWT: no issuer to peek at.
  }
  return undefined;
}

export async function verifyJwt(
  token: string,
  keys: JWTVerifyGetKey,
  policy: JwtPolicy,
): Promise<JwtVerification> {
  const j = await jose();
  const iss = peekIssuer(j, token);
  if (iss === undefined) return { ok: false, reason: "the bearer token is not a JWT with an issuer" };
  // Checked before any key fetch, so tokens of unrelated issuers never make us call out.
  if (!policy.issuers.includes(iss)) return { ok: false, reason: "the token's issuer is not accepted" };
  try {
    const { payload } = await j.jwtVerify(token, keys, {
      issuer: [...policy.issuers],
      audience: [...policy.audiences],
      algorithms: [...policy.algorithms],
      clockTolerance: policy.clockSkewSeconds,
      requiredClaims: ["exp", "iat"],
    });
    return { ok: true, claims: payload };
  } catch (err) {
    return describeJoseError(j.errors, err);
  }
}

function describeJoseError(errors: Jose["errors"], err: unknown): JwtVerification {
  const fail = (reason: string, transient = false): JwtVerification => ({ ok: false, reason, transient });
  if (err instanceof errors.JWTExpired) return fail("the token has expired");
  if (err instanceof errors.JWTClaimValidationFailed) {
    // A required claim that is absent (`exp`, `iat`) is not a claim with a wrong value.
    if (err.reason === "missing") return fail(`the token has no '${err.claim}' claim`);
    // Only `nbf` is checked against the clock (no maximum age is asked of jose): an `iat` that is not
    // a number is a claim with a wrong value, not a token from the future.
    if (err.claim === "nbf" && err.reason === "check_failed")
      return fail("the token is not valid yet ('nbf')");
    return fail(`the token's '${err.claim}' claim is not accepted`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return fail("the token's signing algorithm is not allowed");
  if (err instanceof errors.JWKSNoMatchingKey) return fail("no key of the issuer matches the token's 'kid'");
  if (err instanceof errors.JWKSMultipleMatchingKeys) return fail("the token's 'kid' matches several keys");
  if (err instanceof errors.JWSSignatureVerificationFailed) return fail("the token's signature is invalid");
  if (
    err instanceof errors.JWSInvalid ||
    err instanceof errors.JWTInvalid ||
    err instanceof errors.JOSENotSupported
  ) {
    return fail("the bearer token is malformed");
  }
  // Anything else comes from fetching the JWKS (timeout, network, non-200, bad JSON, an invalid key set).
  return fail("the issuer's signing keys could not be fetched", true);
}
