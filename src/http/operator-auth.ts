// Operator API keys for the job administration endpoints, until the callers' model takes them over:
// `Authorization: Bearer <key>`, compared by SHA-256 in constant time against every configured key (kernel/secret.ts).
import type { MiddlewareHandler } from "hono";
import type { OperatorConfig } from "../config/schema.ts";
import { AppError } from "../kernel/errors.ts";
import { digestOfHash, matchSecret } from "../kernel/secret.ts";

declare module "hono" {
  interface ContextVariableMap {
    operatorId: string;
  }
}

export function requireOperator(operators: readonly OperatorConfig[]): MiddlewareHandler {
  const digests = operators.map((o) => digestOfHash(o.apiKeyHash));
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const key = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!key)
      throw new AppError("unauthenticated", "an operator API key is required (Authorization: Bearer)");
    // Every key is compared, so timing does not tell which one (if any) matched.
    const match = operators[matchSecret(key, digests)]?.id;
    if (!match) throw new AppError("unauthenticated", "the operator API key is not valid");
    c.set("operatorId", match);
    await next();
  };
}
