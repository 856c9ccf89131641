// Operator API keys for the job administration endpoints, until the callers' model takes them over:
// `Authorization: Bearer <key>`, compared by SHA-256 in constant time against every configured key.
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { OperatorConfig } from "../config/schema.ts";
import { AppError } from "../kernel/errors.ts";

declare module "hono" {
  interface ContextVariableMap {
    operatorId: string;
  }
}

export function requireOperator(operators: readonly OperatorConfig[]): MiddlewareHandler {
  const known = operators.map((o) => ({ id: o.id, hash: Buffer.from(o.apiKeyHash, "hex") }));
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const key = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!key)
      throw new AppError("unauthenticated", "an operator API key is required (Authorization: Bearer)");
    const given = createHash("sha256").update(key).digest();
    let match: string | undefined;
    // Every key is compared, so timing does not tell which one (if any) matched.
    for (const operator of known) {
      if (timingSafeEqual(operator.hash, given) && !match) match = operator.id;
    }
    if (!match) throw new AppError("unauthenticated", "the operator API key is not valid");
    c.set("operatorId", match);
    await next();
  };
}
