// Structured JSON logs correlated with traces; anything that can carry a credential is redacted
// before it is written, by field name at any depth and, behind that, by the shape of the value
// (one walk over the line, src/telemetry/redact.ts).
import { createRequire } from "node:module";
import { AzureLogger, getLogLevel, setLogLevel } from "@azure/logger";
import { context, DiagLogLevel, diag, isSpanContextValid, trace } from "@opentelemetry/api";
import { type DestinationStream, type Logger, pino } from "pino";
import { createLogBridgeStream } from "./log-bridge.ts";
import { redactDeep, redactText } from "./redact.ts";

export type { Logger } from "pino";

/** The active span's ids, so a log line can be found from its trace and the other way round. */
function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  const ids = span?.spanContext();
  if (!ids || !isSpanContextValid(ids)) return {};
  return { trace_id: ids.traceId, span_id: ids.spanId };
}

export interface LoggerOptions {
  /** Also hand every line to OpenTelemetry's logs (Azure Monitor, OTLP), beside the destination. */
  bridge?: boolean;
}

export function createLogger(
  level: string,
  destination?: DestinationStream,
  options: LoggerOptions = {},
): Logger {
  // stdout as pino would open it, but written in pieces of 4 KB, not 16: lines that arrive while a
  // write is under way are appended to the last piece, which sonic-boom measures (and so copies)
  // again on every line. Under load that copying halves, from 6 KB per request.
  const stdout = destination ?? pino.destination({ dest: 1, sync: false, maxWrite: 4096 });
  const out = options.bridge
    ? pino.multistream([
        { level: "trace", stream: stdout },
        { level: "trace", stream: createLogBridgeStream() },
      ])
    : stdout;
  return pino(
    {
      level,
      base: { service: "armbridge" },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: traceFields,
      serializers: { err: (err: Error) => redactDeep(pino.stdSerializers.err(err)) },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactDeep(object) as Record<string, unknown>,
      },
      // The message and its format arguments are free text that the formatters above never see
      // (a library's log line, an error's message used as `msg`): masked by shape here.
      hooks: {
        logMethod(args, method) {
          const [first] = args;
          const text = args.map((a) => (typeof a === "string" ? redactText(a) : a)) as typeof args;
          if (first instanceof Error && typeof text[1] !== "string") {
            // pino would take `msg` from the error's own message, unredacted.
            return method.apply(this, [first, redactText(first.message)] as unknown as typeof args);
          }
          return method.apply(this, text);
        },
      },
    },
    out,
  );
}

/**
 * Sends the libraries' own log output through this logger, so stdout stays one JSON object per
 * line and the same redaction applies: the Azure SDK's (warnings such as a deprecated client option,
 * or verbose traces when AZURE_LOG_LEVEL asks for them) and OpenTelemetry's diagnostics, the Azure
 * Monitor exporters' included. The ES module and CommonJS builds of @azure/logger keep separate
 * state, so both are routed.
 */
export function routeLibraryLogs(logger: Logger): void {
  const otel = logger.child({ namespace: "opentelemetry" });
  diag.setLogger(
    {
      error: (message, ...args) => otel.error({ args }, message),
      warn: (message, ...args) => otel.warn({ args }, message),
      info: (message) => otel.debug(message),
      debug: (message) => otel.debug(message),
      verbose: (message) => otel.trace(message),
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  const commonJs = createRequire(import.meta.url)("@azure/logger") as {
    AzureLogger: typeof AzureLogger;
    getLogLevel: typeof getLogLevel;
    setLogLevel: typeof setLogLevel;
  };
  // The Azure SDK says nothing unless a level is set; AZURE_LOG_LEVEL (read by @azure/logger) wins.
  for (const build of [{ getLogLevel, setLogLevel }, commonJs])
    if (build.getLogLevel() === undefined) build.setLogLevel("warning");
  const route = (...args: unknown[]) => {
    const text = args.map(String).join(" ");
    const [, namespace, level, message] =
      /^(azure:[\w-]+(?::[\w-]+)*?):(verbose|info|warning|error) (.*)$/s.exec(text) ?? [];
    const log = { namespace: namespace ?? "azure" };
    if (level === "error") logger.error(log, message ?? text);
    else if (level === "warning") logger.warn(log, message ?? text);
    else logger.debug(log, message ?? text);
  };
  AzureLogger.log = route;
  commonJs.AzureLogger.log = route;
}
