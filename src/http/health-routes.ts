// Liveness and readiness for orchestrators.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { within } from "../kernel/deadline.ts";
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
  summary: "Readiness: the store takes writes and a managed identity token is obtainable",
  description:
    "Each check is bounded (1.5 s): a store or IMDS that does not answer makes the check fail with the reason, so the probe itself never times out.",
  security: NO_SECURITY,
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: ReadinessSchema } } },
    503: {
      description: "Not ready; the failed checks say why",
      content: { "application/json": { schema: ReadinessSchema } },
    },
  },
});

/** A probe that waits longer than this sees a time-out, not `not_ready`: each check gets this long. */
export const READINESS_CHECK_TIMEOUT_MS = 1500;

/**
 * `/healthz` answers while the process serves; `/readyz` runs every check, each bounded in time, and
 * names what is not ready: a store that does not answer is as unready as one that refuses.
 */
export function registerHealthRoutes(
  app: OpenAPIHono,
  checks: Record<string, ReadinessCheck>,
  timeoutMs = READINESS_CHECK_TIMEOUT_MS,
): void {
  app.openapi(healthz, (c) => c.json({ status: "ok" as const }, 200));
  app.openapi(readyz, async (c) => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await within(check(), timeoutMs, name);
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
