// API keys for simple callers: the config holds only SHA-256 hashes, compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import type { ApiKeyCallerConfig } from "../config/schema.ts";
import type { CallerVerifier, Verification } from "./caller.ts";
import { bearerToken, looksLikeJwt } from "./credentials.ts";

export function hashApiKey(key: string): string {
  return `sha256:${createHash("sha256").update(key, "utf8").digest("hex")}`;
}

export function apiKeyVerifier(config: ApiKeyCallerConfig, now: () => number = Date.now): CallerVerifier {
  const keys = config.keys.map((k) => ({
    digest: Buffer.from(k.hash.slice("sha256:".length), "hex"),
    fingerprint: k.hash.slice(0, "sha256:".length + 12),
    expiresAtMs: k.expiresAt ? Date.parse(k.expiresAt) : undefined,
  }));
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
      const key = presented(headers) ?? "";
      const digest = createHash("sha256").update(key, "utf8").digest();
      // Every configured hash is compared, so timing does not reveal which one (if any) matched.
      let match: (typeof keys)[number] | undefined;
      for (const k of keys) if (timingSafeEqual(k.digest, digest)) match = k;
      if (!match) return { ok: false, reason: "the API key is not valid" };
      if (match.expiresAtMs !== undefined && match.expiresAtMs <= now()) {
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
