// GET /metrics: the service's OpenTelemetry metrics in the Prometheus text format, for those who
// scrape instead of exporting. Registered only when `telemetry.prometheus.enabled` is set.
import type { OpenAPIHono } from "@hono/zod-openapi";

export function registerMetricsRoute(app: OpenAPIHono, scrape: () => Promise<string>): void {
  app.get("/metrics", async (c) =>
    c.body(await scrape(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }),
  );
}
