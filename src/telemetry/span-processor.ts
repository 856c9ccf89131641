// Puts the attribution of the work in progress on every span, the Azure SDK's HTTP spans included,
// in one place: call sites start spans, this processor says whose work they were.
import type { Attributes, AttributeValue, Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import {
  type Attribution,
  currentAttribution,
  currentRequestAttribution,
  type RequestAttribution,
} from "./attribution.ts";
import { redactText } from "./redact.ts";

export const ATTR = {
  callerId: "enduser.id",
  callerKind: "armbridge.caller.kind",
  callerSubject: "armbridge.caller.subject",
  onBehalfOf: "armbridge.on_behalf_of",
  routeId: "armbridge.route",
  operation: "armbridge.operation",
  scope: "armbridge.scope",
  jobId: "armbridge.job.id",
  requestId: "armbridge.request.id",
  correlationId: "armbridge.arm.correlation_request_id",
  armRequestId: "armbridge.arm.request_id",
  /** On ARM's HTTP spans only: the subscription ARM throttles the call in (`(tenant)` for tenant-level calls). */
  armSubscription: "armbridge.arm.subscription",
  /** ARM's Retry-After on a throttled (429) or busy answer, in milliseconds. */
  retryAfterMs: "armbridge.arm.retry_after_ms",
} as const;

type Source = { job: Attribution } | { request: RequestAttribution };

function attributesOf(source: Source): Attributes {
  const out: Record<string, AttributeValue | undefined> = {};
  if ("job" in source) {
    const a = source.job;
    Object.assign(out, {
      [ATTR.callerId]: a.callerId,
      [ATTR.callerKind]: a.callerKind,
      [ATTR.callerSubject]: a.callerSubject,
      [ATTR.onBehalfOf]: a.onBehalfOf,
      [ATTR.routeId]: a.routeId,
      [ATTR.operation]: a.operation,
      [ATTR.scope]: a.scope,
      [ATTR.jobId]: a.jobId,
      [ATTR.requestId]: a.requestId,
      [ATTR.correlationId]: a.correlationId,
    });
  } else {
    const r = source.request;
    const list = (values: string[] | undefined) => (values?.length ? values.join(",") : undefined);
    Object.assign(out, {
      [ATTR.callerId]: r.callerId,
      [ATTR.callerKind]: r.callerKind,
      [ATTR.callerSubject]: r.callerSubject,
      [ATTR.onBehalfOf]: r.onBehalfOf,
      [ATTR.routeId]: list(r.routeIds),
      [ATTR.operation]: list(r.operations),
      [ATTR.scope]: list(r.scopes),
      [ATTR.requestId]: r.requestId,
    });
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as Attributes;
}

export class AttributionSpanProcessor implements SpanProcessor {
  /** A request's attribution grows while its span is open (the caller is known after authentication). */
  readonly #sources = new WeakMap<Span, Source>();

  onStart(span: Span, _parentContext: Context): void {
    const job = currentAttribution();
    const request = currentRequestAttribution();
    const source: Source | undefined = job ? { job } : request ? { request } : undefined;
    if (!source) return;
    this.#sources.set(span, source);
    span.setAttributes(attributesOf(source));
  }

  onEnding(span: Span): void {
    const source = this.#sources.get(span);
    if (source) span.setAttributes(attributesOf(source));
    // The Azure SDK's HTTP spans carry ARM's x-ms-request-id as `serviceRequestId`.
    const armRequestId = span.attributes.serviceRequestId;
    if (typeof armRequestId === "string") span.setAttribute(ATTR.armRequestId, armRequestId);
    for (const [key, value] of Object.entries(span.attributes)) {
      if (typeof value === "string") {
        const clean = redactText(value);
        if (clean !== value) span.setAttribute(key, clean);
      }
    }
  }

  onEnd(_span: ReadableSpan): void {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
