// API keys for simple callers: the config holds only SHA-256 hashes, compared in constant time.
import type { ApiKeyCallerConfig } from "../config/schema.ts";
import { type Clock, systemClock } from "../kernel/clock.ts";
import { digestOfHash, hashSecret, matchSecret } from "../kernel/secret.ts";
import type { CallerVerifier, Verification } from "./caller.ts";
import { bearerToken, looksLikeJwt } from "./credentials.ts";

export function hashApiKey(key: string): string {
  return hashSecret(key);
}

export function apiKeyVerifier(config: ApiKeyCallerConfig, now: Clock = systemClock): CallerVerifier {
  const keys = config.keys.map((k) => ({
    digest: digestOfHash(k.hash),
    fingerprint: k.hash.slice(0, "sha256:".length + 12),
    expiresAtMs: k.expiresAt ? Date.parse(k.expiresAt) : undefined,
  }));
  const digests = keys.map((k) => k.digest);
  const presented = (headers: Headers): string | undefined => {
    const bearer = bearerToken(headers);
    if (bearer !== undefined) return looksLikeJwt(bearer) ? undefined : bearer;
    return headers.get("x-api-key") ?? undefined;
  };
  return {
    id: config.id,
    kind: "api-key",
    presents: ({ headers }) => presented(headers) !== undefined,
    async verify({ headers }): Promise<Verification> {
      // Stryker disable next-line StringLiteral: verify runs only when a key is presented
      const key = presented(headers) ?? "";
      // Every configured hash is compared, so timing does not reveal which one (if any) matched.
      const match = keys[matchSecret(key, digests)];
      if (!match) return { ok: false, reason: "the API key is not valid" };
      if ((match.expiresAtMs ?? Number.POSITIVE_INFINITY) <= now()) {
        return { ok: false, reason: "the API key has expired" };
      }
      return {
        ok: true,
        deliveryId: headers.get("idempotency-key") ?? undefined,
        caller: {
          id: config.id,
          kind: "api-key",
          subject: `api-key:${config.id}`,
          // The hash prefix tells which key of a rotation was used; it reveals nothing about the key.
          claims: { key: match.fingerprint },
        },
      };
    },
  };
}
