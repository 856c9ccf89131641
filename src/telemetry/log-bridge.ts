// The OpenTelemetry log bridge for pino: every line armbridge writes (already redacted) also becomes
// an OpenTelemetry log record, so Application Insights (or an OTLP backend) holds the logs beside the
// traces. The record carries the line's trace and span ids, so a log is found from its trace.
import { Writable } from "node:stream";
import { ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";
import { logs, SeverityNumber } from "@opentelemetry/api-logs";

const SEVERITY: Record<string, SeverityNumber> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  fatal: SeverityNumber.FATAL,
};

type AttributeValue = string | number | boolean;

/** A stream for pino's multistream: each write is one JSON line. */
export function createLogBridgeStream(): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      try {
        emit(JSON.parse(String(chunk)) as Record<string, unknown>);
      } catch {
        // A line that is not JSON is not armbridge's; stdout still has it.
      }
      done();
    },
  });
}

function emit(line: Record<string, unknown>): void {
  // OpenTelemetry's own diagnostics stay on stdout: bridged, a diagnostic about a log record would
  // make another log record, and so on.
  if (line.namespace === "opentelemetry") return;
  const { level, time, msg, trace_id: traceId, span_id: spanId, ...rest } = line;
  const attributes: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined || value === null) continue;
    attributes[key] =
      typeof value === "string" || typeof value === "number" || typeof value === "boolean"
        ? value
        : JSON.stringify(value);
  }
  // The line's own ids: the write may happen after the span's context has been left.
  const context =
    typeof traceId === "string" && typeof spanId === "string"
      ? trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED })
      : ROOT_CONTEXT;
  logs.getLogger("armbridge").emit({
    severityNumber: SEVERITY[String(level)] ?? SeverityNumber.UNSPECIFIED,
    severityText: String(level ?? ""),
    body: String(msg ?? ""),
    ...(typeof time === "string" ? { timestamp: new Date(time) } : {}),
    attributes,
    context,
  });
}
