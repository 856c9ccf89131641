// Liveness and readiness for orchestrators.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { problemResponses } from "./problem-docs.ts";
import { NO_SECURITY } from "./security-docs.ts";

export type ReadinessCheck = () => Promise<void>;

const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");

const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "not_ready"]),
    checks: z.record(
      z.string(),
      z.object({ ok: z.boolean(), reason: z.string().optional().describe("Why the check failed") }),
    ),
  })
  .openapi("Readiness", {
    example: {
      status: "not_ready",
      checks: { store: { ok: true }, token: { ok: false, reason: "ManagedIdentityCredential: no response" } },
    },
  });

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "getHealth",
  tags: ["Health"],
  summary: "Liveness: the process serves",
  security: NO_SECURITY,
  responses: {
    200: { description: "Serving", content: { "application/json": { schema: HealthSchema } } },
    ...problemResponses(),
  },
});

const readyz = createRoute({
  method: "get",
  path: "/readyz",
  operationId: "getReadiness",
  tags: ["Health"],
  summary: "Readiness: the store is reachable and a managed identity token is obtainable",
  security: NO_SECURITY,
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: ReadinessSchema } } },
    503: {
      description: "Not ready; the failed checks say why",
      content: { "application/json": { schema: ReadinessSchema } },
    },
  },
});

/** `/healthz` answers while the process serves; `/readyz` runs every check and names what is not ready. */
export function registerHealthRoutes(app: OpenAPIHono, checks: Record<string, ReadinessCheck>): void {
  app.openapi(healthz, (c) => c.json({ status: "ok" as const }, 200));
  app.openapi(readyz, async (c) => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await check();
          return [name, { ok: true }] as const;
        } catch (err) {
          return [name, { ok: false, reason: (err as Error).message.split("\n")[0] }] as const;
        }
      }),
    );
    const ready = entries.every(([, r]) => r.ok);
    const checked = Object.fromEntries(entries);
    return ready
      ? c.json({ status: "ready" as const, checks: checked }, 200)
      : c.json({ status: "not_ready" as const, checks: checked }, 503);
  });
}
