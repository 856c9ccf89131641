// GitHub webhook signatures: HMAC-SHA256 over the raw body in `X-Hub-Signature-256: sha256=<hex>`.
import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import type { Secret } from "../config/secret.ts";
import type { Caller } from "../kernel/caller.ts";
import { constantTimeEqual } from "../kernel/secret.ts";
import type { CallerVerifier } from "./caller.ts";

const PREFIX = "sha256=";

export interface GithubWebhookCaller {
  id: string;
  secrets: readonly Secret[];
}

// Key objects of a secret's values: HMAC with one skips importing the key on every delivery. A
// rotation replaces the secret's list of values, and with it the keys.
const keysOf = new WeakMap<Secret, { values: readonly string[]; keys: KeyObject[] }>();
function keysFor(secret: Secret): KeyObject[] {
  const values = secret.candidates();
  let cached = keysOf.get(secret);
  // Stryker disable next-line ConditionalExpression: a cache; keys made afresh every time verify the same
  if (cached?.values !== values) {
    // Stryker disable next-line StringLiteral: a string key is UTF-8 to createSecretKey as to createHmac
    cached = { values, keys: values.map((v) => createSecretKey(Buffer.from(v, "utf8"))) };
    // Stryker disable next-line CallExpression: a cache; without it the keys are made afresh, the same
    keysOf.set(secret, cached);
  }
  return cached.keys;
}

/** True when `signatureHeader` is the HMAC of `body` under any active secret; constant-time per secret. */
export function verifyGithubSignature(
  body: Uint8Array,
  signatureHeader: string | undefined,
  secrets: readonly Secret[],
): boolean {
  if (!signatureHeader?.startsWith(PREFIX)) return false;
  const hex = signatureHeader.slice(PREFIX.length);
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  const given = Buffer.from(hex, "hex");
  let match = false;
  // Every secret (and, during a Key Vault rotation, its previous value) is tried, so timing does not
  // reveal which one (if any) matched.
  for (const secret of secrets) {
    for (const key of keysFor(secret)) {
      const expected = createHmac("sha256", key).update(body).digest();
      if (constantTimeEqual(expected, given)) match = true;
    }
  }
  return match;
}

export function githubWebhookVerifier(caller: GithubWebhookCaller): CallerVerifier {
  return {
    id: caller.id,
    kind: "github-webhook",
    presents: ({ headers }) => headers.has("x-hub-signature-256"),
    async verify({ headers, body }) {
      if (!verifyGithubSignature(body, headers.get("x-hub-signature-256") ?? undefined, caller.secrets)) {
        return { ok: false, reason: "X-Hub-Signature-256 does not match the body" };
      }
      const delivery = headers.get("x-github-delivery") ?? undefined;
      const event = headers.get("x-github-event") ?? undefined;
      const hookId = headers.get("x-github-hook-id") ?? undefined;
      return {
        ok: true,
        deliveryId: delivery,
        caller: {
          id: caller.id,
          kind: "github-webhook",
          subject: `github-webhook:${caller.id}`,
          claims: {
            ...(event ? { event } : {}),
            ...(delivery ? { delivery } : {}),
            ...(hookId ? { hookId } : {}),
          },
        },
      };
    },
  };
}

/** Claims from a signed GitHub payload: the signature makes them GitHub's word, not the sender's. */
export function githubPayloadClaims(caller: Caller, payload: unknown): Pick<Caller, "subject" | "claims"> {
  const p = (payload ?? {}) as {
    repository?: { full_name?: unknown; id?: unknown };
    sender?: { login?: unknown };
  };
  const repository = typeof p.repository?.full_name === "string" ? p.repository.full_name : undefined;
  const claims = {
    ...caller.claims,
    ...(repository ? { repository } : {}),
    ...(typeof p.repository?.id === "number" ? { repository_id: String(p.repository.id) } : {}),
    ...(typeof p.sender?.login === "string" ? { sender: p.sender.login } : {}),
  };
  return { subject: repository ? `repo:${repository}` : caller.subject, claims };
}
