// Standard Webhooks (standardwebhooks.com): HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`,
// base64 in `webhook-signature: v1,<sig> [v1,<sig>…]`, with a timestamp window and replay refusal.
import { createHmac } from "node:crypto";
import { decodeStandardWebhookSecret } from "../config/callers-schema.ts";
import type { StandardWebhookCallerConfig } from "../config/schema.ts";
import { type Clock, systemClock } from "../kernel/clock.ts";
import { constantTimeEqual } from "../kernel/secret.ts";
import type { CallerVerifier, Verification } from "./caller.ts";

const MAX_REMEMBERED = 100_000;

/**
 * Remembers verified deliveries for the tolerance window. A byte-identical replay (same id,
 * timestamp and signature) is refused; a sender's retry re-signs with a new timestamp and passes,
 * and the job store's idempotency on `webhook-id` answers it with the job it already made.
 */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();

  /** False when `key` was already seen and has not expired; otherwise records it until `expiresAt`. */
  remember(key: string, nowMs: number, expiresAtMs: number): boolean {
    if ((this.#seen.get(key) ?? 0) > nowMs) return false;
    this.#seen.delete(key);
    this.#seen.set(key, expiresAtMs);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: entering at the bound too only drops expired entries, which read as absent
    if (this.#seen.size > MAX_REMEMBERED) {
      // Insertion order is expiry order within one caller's window; drop the oldest first.
      for (const [k, exp] of this.#seen) {
        // Stryker disable next-line ConditionalExpression,EqualityOperator: an entry expiring now or kept expired reads as absent either way
        if (exp > nowMs && this.#seen.size <= MAX_REMEMBERED) break;
        this.#seen.delete(k);
      }
    }
    return true;
  }
}

export function verifyStandardSignature(
  keys: readonly Buffer[],
  id: string,
  timestamp: string,
  body: Uint8Array,
  signatureHeader: string,
): boolean {
  // A signature of another length never equals the HMAC: constantTimeEqual compares lengths first.
  const given = signatureHeader
    .split(" ")
    .filter((part) => part.startsWith("v1,"))
    .map((part) => Buffer.from(part.slice(3), "base64"));
  let match = false;
  // Every key is compared with every signature, so timing does not reveal which one matched.
  for (const key of keys) {
    const expected = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
    for (const sig of given) if (constantTimeEqual(expected, sig)) match = true;
  }
  return match;
}

export function standardWebhookVerifier(
  config: StandardWebhookCallerConfig,
  guard: ReplayGuard,
  now: Clock = systemClock,
): CallerVerifier {
  // Decoded per request: a Key Vault secret may have been rotated since the last one.
  const keys = () =>
    config.secrets.flatMap((s) => s.candidates()).map((v) => decodeStandardWebhookSecret(v) as Buffer);
  return {
    id: config.id,
    kind: "standard-webhook",
    presents: ({ headers }) => headers.has("webhook-signature"),
    async verify({ headers, body }): Promise<Verification> {
      const id = headers.get("webhook-id");
      const timestamp = headers.get("webhook-timestamp");
      // Stryker disable next-line StringLiteral: verify runs only when the signature is presented
      const signature = headers.get("webhook-signature") ?? "";
      if (!id || id.length > 256) return { ok: false, reason: "missing or oversized webhook-id header" };
      if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
        return { ok: false, reason: "webhook-timestamp must be Unix seconds" };
      }
      const nowMs = now();
      const windowMs = config.toleranceSeconds * 1000;
      if (Math.abs(nowMs - Number(timestamp) * 1000) > windowMs) {
        return { ok: false, reason: `webhook-timestamp is outside the ${config.toleranceSeconds} s window` };
      }
      if (!verifyStandardSignature(keys(), id, timestamp, body, signature)) {
        return { ok: false, reason: "webhook-signature does not match the body" };
      }
      if (!guard.remember(`${config.id}\0${id}\0${timestamp}`, nowMs, Number(timestamp) * 1000 + windowMs)) {
        return { ok: false, reason: `webhook-id '${id}' with this timestamp was already delivered (replay)` };
      }
      return {
        ok: true,
        deliveryId: id,
        caller: {
          id: config.id,
          kind: "standard-webhook",
          subject: `standard-webhook:${config.id}`,
          claims: { webhook_id: id },
        },
      };
    },
  };
}
