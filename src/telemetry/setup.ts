// Starts OpenTelemetry for one process: Application Insights (the Azure Monitor exporters) with a
// connection string, OTLP/HTTP with an endpoint, otherwise local only (span ids exist for log
// correlation, nothing is recorded and nothing leaves).
// The providers are registered with the OpenTelemetry API, which is global by design; start() and
// shutdown() bracket that registration so a test file can own it for its duration.

import { context, metrics, propagation, trace } from "@opentelemetry/api";
import { logs } from "@opentelemetry/api-logs";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { MetricReader } from "@opentelemetry/sdk-metrics";
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import type { Config } from "../config/schema.ts";
import { newId } from "../kernel/ids.ts";
import { azureMonitorExporters, detectedResource, otlpExporters, ratioSampler } from "./exporters.ts";
import { observeImdsLockdown } from "./imds-lockdown.ts";
import { type BridgeMetrics, createMetrics, noopMetrics } from "./metrics.ts";
import { AttributionSpanProcessor } from "./span-processor.ts";
import { INSTRUMENTATION_NAME } from "./tracer.ts";

export interface Telemetry {
  exporter: "azure-monitor" | "otlp" | "local";
  /** This process's identity in telemetry (`service.instance.id`); jobs it accepted name it. */
  instanceId: string;
  metrics: BridgeMetrics;
  /** The metrics in the Prometheus text format, when `telemetry.prometheus.enabled`. */
  scrapeMetrics?: () => Promise<string>;
  /** Lets the Azure SDK's spans join armbridge's traces; called before the first ARM client is built. */
  instrumentAzureSdk(): Promise<void>;
  /** Exports what is buffered (before a test reads an exporter, or before exit). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** Where Azure Monitor keeps telemetry it could not send yet (under the data directory). */
  dataDir: string;
  /** Receives every finished span, in addition to the configured exporter (tests use an in-memory one). */
  spanExporter?: SpanExporter;
  /** Collects metrics in addition to the configured exporter. */
  metricReader?: MetricReader;
}

export async function startTelemetry(
  settings: Config["telemetry"],
  options: TelemetryOptions,
): Promise<Telemetry> {
  const instanceId = newId();
  const extraSpans: SpanProcessor[] = options.spanExporter
    ? [new SimpleSpanProcessor(options.spanExporter)]
    : [];
  const endpoint = settings.otlpEndpoint?.replace(/\/$/, "");
  const exporting = settings.connectionString
    ? azureMonitorExporters(settings.connectionString.reveal(), settings, options.dataDir)
    : endpoint
      ? otlpExporters(endpoint, settings)
      : undefined;
  // What leaves the process names its host; local spans and metrics stay without it.
  const [prometheus, exporters, host] = await Promise.all([
    prometheusReader(settings),
    exporting,
    exporting ? detectedResource() : undefined,
  ]);
  const own = resourceFromAttributes({
    "service.name": settings.serviceName,
    "service.instance.id": instanceId,
  });
  const resource = host ? host.merge(own) : own;

  let loggerProvider: { forceFlush(): Promise<void>; shutdown(): Promise<void> } | undefined;
  if (exporters) {
    // The log bridge (log-bridge.ts) writes to the global logger provider.
    const { LoggerProvider } = await import("@opentelemetry/sdk-logs");
    const provider = new LoggerProvider({ resource, processors: [exporters.logs] });
    logs.setGlobalLoggerProvider(provider);
    loggerProvider = provider;
  }
  // With nowhere for spans to go, none is recorded: each still gets its ids (so log lines, jobs and
  // ARM's traceparent correlate), but no attributes are built and no processor runs.
  const tracerProvider = new BasicTracerProvider({
    resource,
    sampler: exporters
      ? exporters.sampler
      : extraSpans.length > 0
        ? ratioSampler(settings.samplingRatio)
        : new AlwaysOffSampler(),
    spanProcessors: [new AttributionSpanProcessor(), ...(exporters ? [exporters.spans] : []), ...extraSpans],
  });
  const readers: MetricReader[] = [
    ...(exporters ? [exporters.metrics] : []),
    ...(options.metricReader ? [options.metricReader] : []),
    ...(prometheus ? [prometheus.reader] : []),
  ];
  // Metrics nobody reads are not recorded: without a reader the metrics SDK is not even loaded.
  const meterProvider =
    readers.length > 0
      ? new (await import("@opentelemetry/sdk-metrics")).MeterProvider({ resource, readers })
      : undefined;
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);
  if (meterProvider && settings.imdsLockdownFile)
    observeImdsLockdown(meterProvider.getMeter(INSTRUMENTATION_NAME), settings.imdsLockdownFile);
  let instrumented: Promise<void> | undefined;

  return {
    exporter: exporters?.kind ?? "local",
    instanceId,
    ...(prometheus ? { scrapeMetrics: prometheus.scrape } : {}),
    metrics: meterProvider ? createMetrics(meterProvider.getMeter(INSTRUMENTATION_NAME)) : noopMetrics(),
    instrumentAzureSdk: () => (instrumented ??= useAzureSdkInstrumenter()),
    flush: async () => {
      await Promise.all([
        tracerProvider.forceFlush(),
        meterProvider?.forceFlush(),
        loggerProvider?.forceFlush(),
      ]);
    },
    async shutdown() {
      // Each provider flushes what it holds to its exporter before the exporter stops.
      await Promise.allSettled([
        tracerProvider.shutdown(),
        meterProvider?.shutdown(),
        loggerProvider?.shutdown(),
      ]);
      if (loggerProvider) logs.disable();
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/**
 * The Azure SDK emits spans through @azure/core-tracing once an OpenTelemetry instrumenter is set.
 * The instrumentation package sets it from a require hook, which ES module imports never trigger,
 * so it is set directly (core-tracing shares one state between its ESM and CommonJS builds).
 */
async function useAzureSdkInstrumenter(): Promise<void> {
  const [coreTracing, { createOpenTelemetryInstrumenter }] = await Promise.all([
    import("@azure/core-tracing"),
    import("@azure/opentelemetry-instrumentation-azure-sdk"),
  ]);
  coreTracing.useInstrumenter(createOpenTelemetryInstrumenter());
}

/**
 * A pull reader for `GET /metrics`: the exporter's own HTTP server stays off (armbridge serves the
 * text on its port), and each scrape collects and serializes what the meters hold now.
 */
async function prometheusReader(
  settings: Config["telemetry"],
): Promise<{ reader: MetricReader; scrape: () => Promise<string> } | undefined> {
  if (!settings.prometheus.enabled) return undefined;
  const { PrometheusExporter, PrometheusSerializer } = await import("@opentelemetry/exporter-prometheus");
  const reader = new PrometheusExporter({ preventServerStart: true });
  const serializer = new PrometheusSerializer();
  return {
    // The exporter pins its own sdk-metrics patch release (as the OTLP exporters do); its reader keeps
    // the MetricReader contract, but TypeScript sees two declarations of the class's private fields.
    reader: reader as unknown as MetricReader,
    scrape: async () => serializer.serialize((await reader.collect()).resourceMetrics),
  };
}
