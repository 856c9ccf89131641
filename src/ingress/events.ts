// POST and OPTIONS /events/{sourceId}: Event Grid webhook deliveries (Event Grid schema or CloudEvents 1.0),
// their handshakes, and batches accepted all or nothing. The status steers Event Grid's retries: 200 only
// once every event is durably stored; 400/401/403/413 are final; 429/503 make it try again later.
import type { Context, Hono } from "hono";
import type { SourceConfig } from "../config/schema.ts";
import type { CallerGate } from "../http/caller-gate.ts";
import { BridgeError } from "../http/errors.ts";
import type { BridgeEvent } from "../routes/event.ts";
import type { Router } from "../routes/router.ts";
import { type AcceptDeps, acceptAll, type Submission } from "./accept.ts";
import { parseDelivery } from "./events-parse.ts";

export interface EventDeps extends AcceptDeps {
  sources: readonly SourceConfig[];
  gate: CallerGate;
  route: Router;
}

/** Delivery headers routes may read as `event.headers.…`; credentials are never among them. */
const FORWARDED_HEADERS = [
  "aeg-event-type",
  "aeg-subscription-name",
  "aeg-delivery-count",
  "aeg-data-version",
  "aeg-metadata-version",
  "content-type",
  "user-agent",
];

/** W3C trace context: `version-traceid-parentid-flags`. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const traceContext = (value: string | undefined) =>
  value !== undefined && TRACEPARENT.test(value.trim()) ? value.trim() : undefined;

/** The CloudEvents abuse-protection handshake (CloudEvents Web Hook spec, section 4). */
function handshake(c: Context, source: SourceConfig): Response {
  const origin = c.req.header("webhook-request-origin")?.trim();
  if (!origin) throw new BridgeError("bad_request", "missing WebHook-Request-Origin header");
  if (source.schema === "eventgrid") {
    throw new BridgeError("forbidden", `source '${source.id}' accepts only the Event Grid schema`);
  }
  if (!source.allowedOrigins.some((o) => o.toLowerCase() === origin.toLowerCase())) {
    throw new BridgeError("forbidden", `origin '${origin}' may not deliver to source '${source.id}'`);
  }
  c.header("WebHook-Allowed-Origin", origin);
  c.header("WebHook-Allowed-Rate", String(source.webhookAllowedRate));
  c.header("Allow", "POST, OPTIONS");
  return c.body(null, 200);
}

export function registerEventRoutes(app: Hono, deps: EventDeps): void {
  const sources = new Map(deps.sources.map((s) => [s.id, s]));
  const sourceOf = (c: Context): SourceConfig => {
    const id = c.req.param("sourceId") ?? "";
    const source = sources.get(id);
    if (!source) throw new BridgeError("unknown_source", `no event source '${id}' is configured`);
    return source;
  };

  app.options("/events/:sourceId", (c) => handshake(c, sourceOf(c)));

  app.post("/events/:sourceId", async (c) => {
    const source = sourceOf(c);
    const requestId = c.get("requestId");
    const body = new Uint8Array(await c.req.arrayBuffer());
    // Authenticated before anything is parsed or answered, the validation handshake included.
    const { caller } = await deps.gate(c, source.callers, body);
    const delivery = await parseDelivery(body, c.req.raw.headers, source);
    const subscription = c.req.header("aeg-subscription-name");

    if (delivery.kind === "validation") {
      deps.logger.info(
        { requestId, sourceId: source.id, callerId: caller.id, subscription },
        "event grid subscription validated",
      );
      return c.json({ validationResponse: delivery.validationCode }, 200);
    }

    const headers = Object.fromEntries(
      FORWARDED_HEADERS.flatMap((h) => (c.req.header(h) ? [[h, c.req.header(h) as string]] : [])),
    );
    const deliveryTrace = traceContext(c.req.header("traceparent"));
    const submissions: Submission[] = [];
    for (const e of delivery.events) {
      const eventCaller = e.onBehalfOf ? { ...caller, onBehalfOf: e.onBehalfOf } : caller;
      const traceparent = traceContext(e.traceparent) ?? deliveryTrace;
      const event: BridgeEvent = {
        source: e.source,
        id: e.id,
        type: e.type,
        subject: e.subject,
        data: e.data,
        headers,
        ...(e.time ? { time: e.time } : {}),
        ...(traceparent ? { traceparent } : {}),
      };
      const requests = deps.route(`source:${source.id}`, event, eventCaller);
      if (requests.length === 0) continue;
      submissions.push({
        caller: eventCaller,
        requests,
        requestId,
        // Event Grid delivers at least once: (topic or source, id) is the event, per source and caller.
        idempotencyKey: `event:${source.id}:${caller.id}:${e.source}:${e.id}`,
        ...(traceparent ? { traceparent } : {}),
      });
    }
    const result = submissions.length > 0 ? await acceptAll(deps, submissions) : { jobs: [], created: [] };
    const created = result.created.filter(Boolean).length;
    deps.logger.info(
      {
        requestId,
        sourceId: source.id,
        callerId: caller.id,
        subscription,
        deliveryCount: c.req.header("aeg-delivery-count"),
        schema: delivery.schema,
        mode: delivery.mode,
        events: delivery.events.length,
        jobs: result.jobs.length,
        created,
      },
      "events accepted",
    );
    // 200, not 202: Event Grid counts 200-204 as delivered, and every job is durably stored by now.
    return c.json({ events: delivery.events.length, jobs: result.jobs.length, created }, 200);
  });
}
