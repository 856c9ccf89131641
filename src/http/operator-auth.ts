// Operator API keys for the job and audit administration endpoints: `Authorization: Bearer <key>`,
// compared by SHA-256 in constant time against every configured key (kernel/secret.ts).
import type { Context, MiddlewareHandler } from "hono";
import { bearerToken } from "../callers/credentials.ts";
import type { OperatorConfig } from "../config/schema.ts";
import { AppError } from "../kernel/errors.ts";
import { digestOfHash, matchSecret } from "../kernel/secret.ts";

declare module "hono" {
  interface ContextVariableMap {
    operatorId: string;
  }
}

/** The operator whose key the request carries, or undefined; never throws. */
export type OperatorLookup = (c: Context) => string | undefined;

export function operatorLookup(operators: readonly OperatorConfig[]): OperatorLookup {
  const digests = operators.map((o) => digestOfHash(o.apiKeyHash));
  return (c) => {
    const key = bearerToken(c.req.raw.headers);
    // Every key is compared, so timing does not tell which one (if any) matched.
    return key === undefined ? undefined : operators[matchSecret(key, digests)]?.id;
  };
}

export function requireOperator(operators: readonly OperatorConfig[]): MiddlewareHandler {
  const lookup = operatorLookup(operators);
  return async (c, next) => {
    if (bearerToken(c.req.raw.headers) === undefined)
      throw new AppError("unauthenticated", "an operator API key is required (Authorization: Bearer)");
    const match = lookup(c);
    if (!match) throw new AppError("unauthenticated", "the operator API key is not valid");
    c.set("operatorId", match);
    await next();
  };
}
