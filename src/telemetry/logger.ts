// Structured JSON logs correlated with traces; anything that can carry a credential is redacted
// before it is written, by field name and, behind that, by the shape of the value.
import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import { type DestinationStream, type Logger, pino } from "pino";
import { redactDeep } from "./redact.ts";

export type { Logger } from "pino";

const SENSITIVE_KEYS = [
  "authorization",
  "cookie",
  "x-hub-signature-256",
  "x-hub-signature",
  "webhook-signature",
  "aeg-sas-key",
  "x-api-key",
  "access_token",
  "accessToken",
  "token",
  "secret",
  "secrets",
  "apiKey",
  "key",
  "password",
  "clientSecret",
  "signature",
  "connectionString",
];

// Top level, one level down (`{ headers: … }`, `{ caller: … }`) and inside headers two levels down.
const REDACT = SENSITIVE_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dotted = key.startsWith("[") ? key : `.${key}`;
  return [key, `*${dotted}`, `*.headers${dotted}`, `*.*.headers${dotted}`];
});

/** The active span's ids, so a log line can be found from its trace and the other way round. */
function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  const ids = span?.spanContext();
  if (!ids || !isSpanContextValid(ids)) return {};
  return { trace_id: ids.traceId, span_id: ids.spanId };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "armbridge" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: "[redacted]" },
      mixin: traceFields,
      serializers: { err: (err: Error) => redactDeep(pino.stdSerializers.err(err)) },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactDeep(object) as Record<string, unknown>,
      },
    },
    destination,
  );
}
