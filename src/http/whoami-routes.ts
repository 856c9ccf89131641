// GET /v1/whoami: the caller as armbridge sees it, and what it may do. Any configured caller may ask.
import type { Hono } from "hono";
import type { GrantConfig } from "../config/schema.ts";
import { grantsOf } from "../policy/authorize.ts";
import type { CallerGate } from "./caller-gate.ts";

export interface WhoamiDeps {
  gate: CallerGate;
  callerIds: readonly string[];
  grants: readonly GrantConfig[];
  operationNames: readonly string[];
}

export function registerWhoamiRoutes(app: Hono, deps: WhoamiDeps): void {
  app.get("/v1/whoami", async (c) => {
    const { caller } = await deps.gate(c, deps.callerIds, new Uint8Array());
    return c.json({
      id: caller.id,
      kind: caller.kind,
      subject: caller.subject,
      claims: caller.claims,
      // Only this caller's own grants: nobody learns what others may do.
      grants: grantsOf(deps.grants, caller.id, deps.operationNames),
    });
  });
}
