// One way to keep and compare secrets: at rest a `sha256:<hex>` digest (API keys of callers and of
// operators alike), compared in constant time against every candidate so that timing tells neither
// whether nor which one matched.
import { createHash, timingSafeEqual } from "node:crypto";

/** The one hash format of configured keys: `sha256:` and the 64 hex digits of the key's SHA-256. */
export const SECRET_HASH = /^sha256:[0-9a-f]{64}$/;

const PREFIX = "sha256:";

function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** The `sha256:<hex>` form of a secret, as configs hold it. */
export function hashSecret(value: string): string {
  return `${PREFIX}${sha256(value).toString("hex")}`;
}

/** The digest bytes of a `sha256:<hex>` hash; throws on any other shape (config validation comes first). */
export function digestOfHash(hash: string): Buffer {
  if (!SECRET_HASH.test(hash)) throw new TypeError("not a sha256:<hex> secret hash");
  return Buffer.from(hash.slice(PREFIX.length), "hex");
}

/** The digest bytes of a secret held in plain form (e.g. an Event Grid delivery secret from the environment). */
export function digestOfSecret(value: string): Buffer {
  return sha256(value);
}

/** Constant-time equality of two byte strings; unequal lengths are simply unequal. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The index of the first digest that the SHA-256 of `presented` equals, or -1. Every digest is
 * compared, so timing does not reveal which one (if any) matched.
 */
export function matchSecret(presented: string, digests: readonly Uint8Array[]): number {
  const given = sha256(presented);
  let match = -1;
  digests.forEach((digest, i) => {
    if (constantTimeEqual(digest, given) && match < 0) match = i;
  });
  return match;
}
