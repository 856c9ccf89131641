// Operator API keys for the job and audit administration endpoints: `Authorization: Bearer <key>`,
// verified exactly as an api-key caller's (`sha256:<hex>` hashes, constant time, expiry).
import type { Context, MiddlewareHandler } from "hono";
import { apiKeyVerifier } from "../callers/api-key.ts";
import { bearerToken } from "../callers/credentials.ts";
import type { OperatorConfig } from "../config/schema.ts";
import { BridgeError } from "./errors.ts";

declare module "hono" {
  interface ContextVariableMap {
    operatorId: string;
  }
}

export type OperatorLookup = (
  c: Context,
) => Promise<{ ok: true; operatorId: string } | { ok: false; reason: string }>;

/** Which operator's key the request carries; a reason when none does. Never throws. */
export function operatorLookup(operators: readonly OperatorConfig[], now?: () => number): OperatorLookup {
  const verifiers = operators.map((o) => apiKeyVerifier({ id: o.id, kind: "api-key", keys: o.keys }, now));
  return async (c) => {
    const key = bearerToken(c.req.raw.headers);
    if (key === undefined)
      return { ok: false, reason: "an operator API key is required (Authorization: Bearer)" };
    const request = {
      method: c.req.method,
      url: c.req.url,
      headers: c.req.raw.headers,
      body: new Uint8Array(),
    };
    let reason = "the operator API key is not valid";
    // Every operator is tried, so timing does not tell which one (if any) matched.
    let match: string | undefined;
    for (const verifier of verifiers) {
      const result = await verifier.verify(request);
      if (result.ok) match ??= verifier.id;
      else if (result.reason.includes("expired")) reason = "the operator API key has expired";
    }
    return match ? { ok: true, operatorId: match } : { ok: false, reason };
  };
}

export function requireOperator(operators: readonly OperatorConfig[]): MiddlewareHandler {
  const lookup = operatorLookup(operators);
  return async (c, next) => {
    const found = await lookup(c);
    if (!found.ok) throw new BridgeError("unauthenticated", found.reason);
    c.set("operatorId", found.operatorId);
    await next();
  };
}
