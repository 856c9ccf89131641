// Spans of a job's execution: one per attempt, parented to the request that accepted the job while
// that request's process runs it (linked to it always), and one `Operation.<name>` span inside.
import {
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { parseTraceparent } from "../kernel/traceparent.ts";
import { tracer } from "../telemetry/tracer.ts";
import type { Job, JobTrace } from "./job.ts";

/**
 * The trace context a new job keeps: an event's own `traceparent` when it carried one, else the
 * active span's (the HTTP request's). Undefined when there is no valid context (telemetry off).
 */
export function acceptingTrace(instanceId: string, eventTraceparent?: string): JobTrace | undefined {
  const own = parseTraceparent(eventTraceparent);
  if (own) {
    return { traceparent: own, origin: instanceId };
  }
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (!carrier.traceparent) return undefined;
  return {
    traceparent: carrier.traceparent,
    ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}),
    origin: instanceId,
  };
}

function spanContextOf(stored: JobTrace): SpanContext | undefined {
  const extracted = propagation.extract(ROOT_CONTEXT, {
    traceparent: stored.traceparent,
    ...(stored.tracestate ? { tracestate: stored.tracestate } : {}),
  });
  return trace.getSpanContext(extracted);
}

async function inSpan<T>(
  name: string,
  options: { kind: SpanKind; links?: Link[]; attributes?: Record<string, string | number> },
  parent: typeof ROOT_CONTEXT,
  fn: () => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Runs one attempt of a job inside its span. */
export function inJobSpan<T>(job: Job, instanceId: string, fn: () => Promise<T>): Promise<T> {
  const accepted = job.trace ? spanContextOf(job.trace) : undefined;
  // Parented while the accepting process runs it; after a restart that request's trace has ended, so
  // the new attempt starts its own trace and keeps only a link back.
  const parent =
    accepted && job.trace?.origin === instanceId
      ? trace.setSpanContext(ROOT_CONTEXT, accepted)
      : ROOT_CONTEXT;
  return inSpan(
    "Job.execute",
    {
      // Internal, not a consumer span: Application Insights shows it beneath the accepting request.
      kind: SpanKind.INTERNAL,
      ...(accepted ? { links: [{ context: accepted }] } : {}),
      attributes: { "armbridge.job.attempt": job.attempts },
    },
    parent,
    fn,
  );
}

/** Runs an operation of the catalog inside its `Operation.<name>` span, under the current span. */
export function inOperationSpan<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return inSpan(`Operation.${name}`, { kind: SpanKind.INTERNAL }, context.active(), fn);
}
