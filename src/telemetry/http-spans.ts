// One server span per HTTP request, continuing the caller's `traceparent`, with the request's
// attribution in scope so every span and log line beneath it names the caller once it is known.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { withRequestAttribution } from "./attribution.ts";
import type { BridgeMetrics } from "./metrics.ts";
import { tracer } from "./tracer.ts";

/** The route pattern that answered (`/hooks/:hookId`), so spans and metrics group by endpoint. */
function routeOf(c: Context): string {
  const handler = matchedRoutes(c).findLast((r) => r.method !== "ALL");
  return handler?.path ?? "(unmatched)";
}

const headerGetter = {
  keys: (carrier: Headers) => [...carrier.keys()],
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
};

export function traceRequests(metrics: BridgeMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const parent = propagation.extract(ROOT_CONTEXT, c.req.raw.headers, headerGetter);
    await withRequestAttribution({ requestId: c.get("requestId") }, async () => {
      const span = tracer().startSpan(c.req.method, { kind: SpanKind.SERVER }, parent);
      // A span nobody records (no exporter) still carries ids for the logs, but no attributes.
      const url = span.isRecording() ? new URL(c.req.url) : undefined;
      if (url) {
        span.setAttributes({
          "http.request.method": c.req.method,
          "url.path": url.pathname,
          "url.scheme": url.protocol.replace(":", ""),
          "server.address": url.hostname,
          ...(c.req.header("user-agent") ? { "user_agent.original": c.req.header("user-agent") } : {}),
        });
      }
      try {
        await context.with(trace.setSpan(parent, span), next);
      } finally {
        const route = routeOf(c);
        const status = c.res.status;
        if (url) {
          span.updateName(`${c.req.method} ${route}`);
          span.setAttributes({
            "http.route": route,
            "http.response.status_code": status,
            "url.full": `${url.origin}${url.pathname}`,
          });
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
        metrics.request(route, c.req.method, status, performance.now() - started);
      }
    });
  };
}
