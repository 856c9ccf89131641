// GET /v1/whoami: the caller as armbridge sees it, and what it may do. Any configured caller may ask.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { GrantConfig } from "../config/schema.ts";
import { CALLER_KINDS } from "../kernel/caller.ts";
import { grantsOf } from "../policy/authorize.ts";
import type { CallerGate } from "./caller-gate.ts";
import { problemResponses } from "./problem-docs.ts";
import { CALLER_SECURITY } from "./security-docs.ts";

export interface WhoamiDeps {
  gate: CallerGate;
  callerIds: readonly string[];
  grants: readonly GrantConfig[];
  operationNames: readonly string[];
}

const WhoamiSchema = z
  .object({
    id: z.string().describe("The configured caller id"),
    kind: z.enum(CALLER_KINDS),
    subject: z.string(),
    claims: z.record(z.string(), z.unknown()).describe("The verified claims that matter; never secrets"),
    grants: z
      .array(
        z.object({
          operations: z.array(z.string()),
          actions: z.array(z.string()).optional(),
          scopes: z.array(z.string()),
        }),
      )
      .describe("This caller's own grants, and nobody else's"),
  })
  .openapi("Whoami", {
    example: {
      id: "web-deploy",
      kind: "oidc",
      subject: "repo:contoso/web:ref:refs/heads/main",
      claims: { repository: "contoso/web", repository_id: "1001", ref: "refs/heads/main" },
      grants: [
        {
          operations: ["resourceGroup.ensure", "deployment.create"],
          scopes: ["/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/app-*"],
        },
      ],
    },
  });

const whoami = createRoute({
  method: "get",
  path: "/v1/whoami",
  operationId: "whoami",
  tags: ["Callers"],
  summary: "The caller as armbridge sees it, and its own grants",
  security: CALLER_SECURITY,
  responses: {
    200: { description: "The caller", content: { "application/json": { schema: WhoamiSchema } } },
    ...problemResponses("unauthenticated", "bad_signature", "rate_limited", "unavailable"),
  },
});

export function registerWhoamiRoutes(app: OpenAPIHono, deps: WhoamiDeps): void {
  app.openapi(whoami, async (c) => {
    const { caller } = await deps.gate(c, deps.callerIds, new Uint8Array());
    return c.json(
      {
        id: caller.id,
        kind: caller.kind,
        subject: caller.subject,
        claims: caller.claims,
        // Only this caller's own grants: nobody learns what others may do.
        grants: grantsOf(deps.grants, caller.id, deps.operationNames),
      },
      200,
    );
  });
}
