// Liveness and readiness for orchestrators.
import type { Hono } from "hono";

export type ReadinessCheck = () => Promise<void>;

/** `/healthz` answers while the process serves; `/readyz` runs every check and names what is not ready. */
export function registerHealthRoutes(app: Hono, checks: Record<string, ReadinessCheck>): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
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
    return c.json(
      { status: ready ? "ready" : "not_ready", checks: Object.fromEntries(entries) },
      ready ? 200 : 503,
    );
  });
}
