// POST and OPTIONS /events/{sourceId}: Event Grid webhook deliveries (Event Grid schema or CloudEvents 1.0)
// and their handshakes. A batch keeps its good events: one that no route can render or the policy refuses
// is stored as a held job (dead with its reason, replayable) beside the others' jobs, in one transaction.
// The status steers Event Grid's retries: 200 once every event is durably stored (as jobs or held);
// 400/401/403/413 are final for a delivery that cannot be read at all; 429/503 make it try again later.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { SourceConfig } from "../config/schema.ts";
import type { CallerGate } from "../http/caller-gate.ts";
import { problemResponses } from "../http/problem-docs.ts";
import { EVENTS_SECURITY } from "../http/security-docs.ts";
import { ROUTE_EVENT } from "../jobs/job.ts";
import type { Caller } from "../kernel/caller.ts";
import { AppError, isAppError } from "../kernel/errors.ts";
import { parseTraceparent } from "../kernel/traceparent.ts";
import type { OperationRequest } from "../operations/request.ts";
import { rememberingDecisions } from "../policy/authorize.ts";
import type { BridgeEvent } from "../triggers/event.ts";
import type { Router } from "../triggers/router.ts";
import { type AcceptDeps, acceptAll, draftCount, type Submission } from "./accept.ts";
import { batchDecisions } from "./batch-decisions.ts";
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

/** The CloudEvents abuse-protection handshake (CloudEvents Web Hook spec, section 4). */
function handshake(c: Context, source: SourceConfig): Response {
  const origin = c.req.header("webhook-request-origin")?.trim();
  if (!origin) throw new AppError("bad_request", "missing WebHook-Request-Origin header");
  if (source.schema === "eventgrid") {
    throw new AppError("forbidden", `source '${source.id}' accepts only the Event Grid schema`);
  }
  if (!source.allowedOrigins.some((o) => o.toLowerCase() === origin.toLowerCase())) {
    throw new AppError("forbidden", `origin '${origin}' may not deliver to source '${source.id}'`);
  }
  c.header("WebHook-Allowed-Origin", origin);
  c.header("WebHook-Allowed-Rate", String(source.webhookAllowedRate));
  c.header("Allow", "POST, OPTIONS");
  return c.body(null, 200);
}

const sourceParam = z.object({ sourceId: z.string().openapi({ example: "azure" }) });

const eventGridEvent = z.looseObject({
  id: z.string(),
  topic: z.string().optional(),
  subject: z.string(),
  eventType: z.string(),
  eventTime: z.string(),
  data: z.unknown(),
  dataVersion: z.string(),
  metadataVersion: z.string(),
});
const cloudEvent = z.looseObject({
  specversion: z.literal("1.0"),
  id: z.string(),
  source: z.string(),
  type: z.string(),
  subject: z.string().optional(),
  time: z.string().optional(),
  data: z.unknown(),
});

const EVENT_OUTCOMES = ["accepted", "duplicate", "held", "unmatched", "validation"] as const;
type EventOutcome = (typeof EVENT_OUTCOMES)[number];

const EventResultSchema = z
  .object({
    id: z.string(),
    source: z.string().describe("Event Grid `topic` or CloudEvents `source`"),
    outcome: z
      .enum(EVENT_OUTCOMES)
      .describe(
        "`accepted`: made new jobs; `duplicate`: its jobs already existed (a redelivery, or its id repeated earlier in this batch); `held`: stored as an `event.route` job, dead with the reason, replayable with POST /v1/jobs/{id}/retry once the config is fixed; `unmatched`: no route listens; `validation`: a validation event inside a notification, never routed",
      ),
    jobs: z.array(z.uuid()).describe("The jobs this event made or maps to, in order"),
    reason: z.string().optional().describe("Why it was held, or what made it a duplicate"),
  })
  .openapi("EventResult");

const EventsAcceptedSchema = z
  .object({
    events: z.int().describe("Notification events in the delivery (validation events not counted)"),
    jobs: z.int().describe("Distinct jobs the events map to (new or already stored, held ones included)"),
    created: z.int().describe("Jobs stored by this delivery; 0 for a redelivery"),
    accepted: z.int(),
    duplicates: z.int(),
    held: z.int(),
    unmatched: z.int(),
    validation: z.int(),
    results: z.array(EventResultSchema).describe("One per event, in delivery order (validation events last)"),
  })
  .openapi("EventsAccepted");

const GROUP = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/app-web";

// Documented, not validated by zod: credentials may cover the raw body, which the handler reads itself.
const deliverEvents = createRoute({
  method: "post",
  path: "/events/{sourceId}",
  operationId: "deliverEvents",
  tags: ["Events"],
  summary: "Deliver Event Grid events (Event Grid schema or CloudEvents 1.0) to a source",
  description:
    "One event or a batch (up to the source's `maxEvents` and `maxBodyBytes`): 200 once every event is durably stored, as its jobs or, when no route can render it or the policy refuses it, as a held `event.route` job (dead with the reason, replayable); the answer says which event made which jobs. An Event Grid-schema delivery with `aeg-event-type: SubscriptionValidation` is the validation handshake, answered after the delivery authenticated. CloudEvents come in structured, batch or binary (`ce-*` headers) mode. 400, 401, 403 and 413 are final (Event Grid does not retry them); 429 and 503 ask for a retry.",
  security: EVENTS_SECURITY,
  request: {
    params: sourceParam,
    headers: z.object({
      "aeg-event-type": z.enum(["Notification", "SubscriptionValidation"]).optional(),
      "aeg-subscription-name": z.string().optional(),
      "aeg-delivery-count": z.string().optional(),
      traceparent: z.string().optional().openapi({
        description: "W3C trace context the jobs continue (a CloudEvent's own traceparent wins)",
      }),
      "ce-specversion": z.string().optional().openapi({
        description: "A binary-mode CloudEvent: its other attributes in `ce-*` headers, its data the body",
      }),
    }),
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z
            .array(z.union([eventGridEvent, cloudEvent]))
            .describe("Event Grid-schema events, or CloudEvents"),
          example: [
            {
              id: "5f8f1c2e-0a4b-4c3d-9e8f-7a6b5c4d3e2f",
              topic: "/subscriptions/00000000-0000-0000-0000-000000000001",
              subject: GROUP,
              eventType: "Microsoft.Resources.ResourceWriteSuccess",
              eventTime: "2025-06-01T10:00:00Z",
              data: {
                operationName: "Microsoft.Resources/subscriptions/resourceGroups/write",
                status: "Succeeded",
              },
              dataVersion: "2",
              metadataVersion: "1",
            },
          ],
        },
        "application/cloudevents+json": { schema: cloudEvent },
        "application/cloudevents-batch+json": { schema: z.array(cloudEvent) },
      },
    },
  },
  responses: {
    200: {
      description:
        "Every event stored (as jobs, or held with its reason), or the validation handshake's answer",
      content: {
        "application/json": {
          schema: z.union([
            EventsAcceptedSchema,
            z.object({ validationResponse: z.string().describe("The validation event's code") }),
          ]),
        },
      },
    },
    ...problemResponses(
      "bad_request",
      "malformed_json",
      "invalid_parameters",
      "unauthenticated",
      "bad_signature",
      "unknown_source",
      "payload_too_large",
      "rate_limited",
      "unavailable",
    ),
  },
});

const eventsHandshake = createRoute({
  method: "options",
  path: "/events/{sourceId}",
  operationId: "eventsHandshake",
  tags: ["Events"],
  summary: "The CloudEvents abuse-protection handshake",
  security: [],
  request: {
    params: sourceParam,
    headers: z.object({
      "WebHook-Request-Origin": z.string().openapi({ example: "eventgrid.azure.net" }),
    }),
  },
  responses: {
    200: {
      description: "The origin may deliver",
      headers: z.object({
        "WebHook-Allowed-Origin": z.string().openapi({ example: "eventgrid.azure.net" }),
        "WebHook-Allowed-Rate": z.string().openapi({ example: "*" }),
      }),
    },
    ...problemResponses("bad_request", "forbidden", "unknown_source"),
  },
});

export function registerEventRoutes(app: OpenAPIHono, deps: EventDeps): void {
  app.openAPIRegistry.registerPath(deliverEvents);
  app.openAPIRegistry.registerPath(eventsHandshake);
  const sources = new Map(deps.sources.map((s) => [s.id, s]));
  const sourceOf = (c: Context): SourceConfig => {
    const id = c.req.param("sourceId") ?? "";
    const source = sources.get(id);
    if (!source) throw new AppError("unknown_source", `no event source '${id}' is configured`);
    return source;
  };

  app.options(eventsHandshake.getRoutingPath(), (c) => handshake(c, sourceOf(c)));

  app.post(deliverEvents.getRoutingPath(), async (c) => {
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
    const deliveryTrace = parseTraceparent(c.req.header("traceparent"));
    // The events of a batch ask the same few questions: each is decided once for the delivery.
    const authorize = batchDecisions(rememberingDecisions(deps.authorize));
    const submissions: Submission[] = [];
    const results: { id: string; source: string; outcome: EventOutcome; jobs: string[]; reason?: string }[] =
      [];
    /** Submission index of each result, or -1 for none; data by key, to name a repeated id's difference. */
    const submissionOf: number[] = [];
    const seen = new Map<string, unknown>();
    // One caller per distinct original actor: its jobs serialize it once, the router reads it once.
    const actingFor = new Map<string, Caller>();
    for (const e of delivery.events) {
      let eventCaller = caller;
      if (e.onBehalfOf) {
        const actor = JSON.stringify(e.onBehalfOf);
        eventCaller = actingFor.get(actor) ?? { ...caller, onBehalfOf: e.onBehalfOf };
        actingFor.set(actor, eventCaller);
      }
      const traceparent = parseTraceparent(e.traceparent) ?? deliveryTrace;
      const event: BridgeEvent = {
        source: e.source,
        id: e.id,
        type: e.type,
        subject: e.subject,
        data: e.data,
        headers,
      };
      if (e.time) event.time = e.time;
      if (traceparent) event.traceparent = traceparent;
      // Event Grid delivers at least once: (topic or source, id) is the event, per source and caller.
      const idempotencyKey = `event:${source.id}:${caller.id}:${e.source}:${e.id}`;
      const entry = `source:${source.id}` as const;
      const result: (typeof results)[number] = { id: e.id, source: e.source, outcome: "accepted", jobs: [] };
      results.push(result);
      if (seen.has(idempotencyKey)) {
        // Serialized only for a repeat: comparing is rare, the events of a batch are many.
        const same = JSON.stringify(seen.get(idempotencyKey)) === JSON.stringify(e.data);
        result.reason = `repeats an earlier event of this batch${same ? "" : " with other data, which is not used"}`;
      } else seen.set(idempotencyKey, e.data);
      let requests: OperationRequest[] = [];
      let held: string | undefined;
      try {
        requests = deps.route(entry, event, eventCaller);
        for (const r of requests) {
          const decision = authorize(eventCaller.id, r.operation, r.scope, r.action);
          if (!decision.allowed) {
            held = decision.reason;
            break;
          }
        }
      } catch (err) {
        if (!isAppError(err) || err.code !== "invalid_parameters") throw err;
        const errors = err.extensions.errors;
        held = Array.isArray(errors) ? `${err.detail}: ${errors.join("; ")}` : err.detail;
      }
      if (!held && requests.length === 0) {
        result.outcome = "unmatched";
        submissionOf.push(-1);
        continue;
      }
      submissionOf.push(submissions.length);
      const submission: Submission = {
        caller: eventCaller,
        requests: held ? [] : requests,
        requestId,
        idempotencyKey,
      };
      if (traceparent) submission.traceparent = traceparent;
      if (held) {
        submission.held = {
          reason: held,
          params: { entry, event, idempotencyKey },
          scope: `${ROUTE_EVENT}:${entry}`,
        };
      }
      submissions.push(submission);
    }
    const result =
      submissions.length > 0
        ? await acceptAll({ ...deps, authorize }, submissions)
        : { jobs: [], created: [] };
    // Which drafts, and so which jobs, belong to which submission.
    const starts: number[] = [];
    let at = 0;
    for (const s of submissions) {
      starts.push(at);
      at += draftCount(s);
    }
    results.forEach((r, i) => {
      const index = submissionOf[i] ?? -1;
      const s = submissions[index];
      if (!s) return;
      const from = starts[index] ?? 0;
      let fresh = false;
      for (let j = from; j < from + draftCount(s); j++) {
        r.jobs.push((result.jobs[j] as { id: string }).id);
        fresh ||= result.created[j] === true;
      }
      if (s.held) {
        r.outcome = "held";
        r.reason = s.held.reason;
      } else if (!fresh) r.outcome = "duplicate";
      else delete r.reason;
    });
    for (const v of delivery.validationEvents) {
      results.push({ id: v.id, source: v.source, outcome: "validation", jobs: [] });
    }
    const counts: Record<EventOutcome, number> = {
      accepted: 0,
      duplicate: 0,
      held: 0,
      unmatched: 0,
      validation: 0,
    };
    for (const r of results) counts[r.outcome]++;
    const jobIds = new Set<string>();
    for (const job of result.jobs) jobIds.add(job.id);
    const answer = {
      events: delivery.events.length,
      jobs: jobIds.size,
      created: result.created.filter(Boolean).length,
      accepted: counts.accepted,
      duplicates: counts.duplicate,
      held: counts.held,
      unmatched: counts.unmatched,
      validation: counts.validation,
      results,
    };
    deps.logger.info(
      {
        requestId,
        sourceId: source.id,
        callerId: caller.id,
        subscription,
        deliveryCount: c.req.header("aeg-delivery-count"),
        schema: delivery.schema,
        mode: delivery.mode,
        ...Object.fromEntries(Object.entries(answer).filter(([k]) => k !== "results")),
      },
      "events accepted",
    );
    // 200, not 202: Event Grid counts 200-204 as delivered, and every job is durably stored by now.
    return c.json(answer, 200);
  });
}
