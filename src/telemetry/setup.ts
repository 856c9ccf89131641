// Starts OpenTelemetry for one process: Azure Monitor (through its distro) with a connection string,
// OTLP/HTTP with an endpoint, otherwise local only (span ids exist for log correlation, nothing is
// recorded and nothing leaves).
// The providers are registered with the OpenTelemetry API, which is global by design; start() and
// shutdown() bracket that registration so a test file can own it for its duration.

import { join } from "node:path";
import { context, metrics, propagation, trace } from "@opentelemetry/api";
import { logs } from "@opentelemetry/api-logs";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { detectResources, hostDetector, resourceFromAttributes } from "@opentelemetry/resources";
import type { MetricReader } from "@opentelemetry/sdk-metrics";
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import { defaultLibraryVariable } from "../config/environment.ts";
import type { Config } from "../config/schema.ts";
import { newId } from "../kernel/ids.ts";
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
  const resource = resourceFromAttributes({
    "service.name": settings.serviceName,
    "service.instance.id": instanceId,
  });
  const extraSpans: SpanProcessor[] = options.spanExporter
    ? [new SimpleSpanProcessor(options.spanExporter)]
    : [];
  const attribution = new AttributionSpanProcessor();
  const prometheus = await prometheusReader(settings);
  const extraReaders: MetricReader[] = [
    ...(options.metricReader ? [options.metricReader] : []),
    ...(prometheus ? [prometheus.reader] : []),
  ];
  const scrape = prometheus ? { scrapeMetrics: prometheus.scrape } : {};

  if (settings.connectionString) {
    // Loaded only when used: the distro brings the whole OpenTelemetry Node SDK with it.
    const { useAzureMonitor, shutdownAzureMonitor } = await import("@azure/monitor-opentelemetry");
    // The distro's default resource detectors include the host detector, whose `host.id` (the machine
    // id) arrives asynchronously, while the distro's span processor reads the resource as each span
    // ends: the first spans met it unsettled ("Accessing resource attributes before async attributes
    // settled"). The host is detected here and awaited, and the distro runs only the synchronous
    // detectors (its one setting for them is this variable; an operator's own value is kept).
    const host = detectResources({ detectors: [hostDetector] });
    await host.waitForAsyncAttributes?.();
    defaultLibraryVariable("OTEL_NODE_RESOURCE_DETECTORS", "env,os");
    useAzureMonitor({
      azureMonitorExporterOptions: {
        connectionString: settings.connectionString.reveal(),
        storageDirectory: join(options.dataDir, "telemetry"),
      },
      resource: resource.merge(host),
      samplingRatio: settings.samplingRatio,
      // The distro's default is a rate limit of 5 traces per second, which would drop ARM calls.
      tracesPerSecond: 0,
      enableLiveMetrics: false,
      // Server spans come from armbridge's own middleware (which knows the route and the caller);
      // outgoing calls are the Azure SDK's spans, so Node's http module is not instrumented.
      instrumentationOptions: {
        http: { enabled: false },
        azureSdk: { enabled: true },
        mongoDb: { enabled: false },
        mySql: { enabled: false },
        postgreSql: { enabled: false },
        redis: { enabled: false },
        redis4: { enabled: false },
        bunyan: { enabled: false },
        winston: { enabled: false },
        console: { enabled: false },
      },
      spanProcessors: [attribution, ...extraSpans],
      ...(extraReaders.length > 0 ? { metricReaders: extraReaders } : {}),
    });
    if (settings.imdsLockdownFile)
      observeImdsLockdown(metrics.getMeter(INSTRUMENTATION_NAME), settings.imdsLockdownFile);
    return {
      exporter: "azure-monitor",
      instanceId,
      ...scrape,
      metrics: createMetrics(metrics.getMeter(INSTRUMENTATION_NAME)),
      // The distro instruments the Azure SDK itself.
      instrumentAzureSdk: async () => {},
      flush: async () => {
        await Promise.all([
          (trace.getTracerProvider() as { forceFlush?: () => Promise<void> }).forceFlush?.(),
          options.metricReader?.forceFlush(),
        ]);
      },
      shutdown: shutdownAzureMonitor,
    };
  }

  const endpoint = settings.otlpEndpoint?.replace(/\/$/, "");
  const exporters: SpanProcessor[] = [];
  const readers: MetricReader[] = [...extraReaders];
  let loggerProvider: { forceFlush(): Promise<void>; shutdown(): Promise<void> } | undefined;
  if (endpoint) {
    const [
      { OTLPTraceExporter },
      { OTLPMetricExporter },
      { OTLPLogExporter },
      sdkLogs,
      { PeriodicExportingMetricReader },
    ] = await Promise.all([
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/exporter-metrics-otlp-http"),
      import("@opentelemetry/exporter-logs-otlp-http"),
      import("@opentelemetry/sdk-logs"),
      import("@opentelemetry/sdk-metrics"),
    ]);
    // The log bridge (log-bridge.ts) writes to the global logger provider; this one sends over OTLP.
    const provider = new sdkLogs.LoggerProvider({
      resource,
      processors: [
        new sdkLogs.BatchLogRecordProcessor({
          exporter: new OTLPLogExporter({ url: `${endpoint}/v1/logs` }),
        }),
      ],
    });
    logs.setGlobalLoggerProvider(provider);
    loggerProvider = provider;
    exporters.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` })));
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
        exportIntervalMillis: settings.metricIntervalSeconds * 1000,
      }),
    );
  }
  // With nowhere for spans to go, none is recorded: each still gets its ids (so log lines, jobs and
  // ARM's traceparent correlate), but no attributes are built and no processor runs.
  const recorded = exporters.length > 0 || extraSpans.length > 0;
  const tracerProvider = new BasicTracerProvider({
    resource,
    sampler: recorded
      ? new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.samplingRatio) })
      : new AlwaysOffSampler(),
    spanProcessors: [attribution, ...exporters, ...extraSpans],
  });
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
    exporter: endpoint ? "otlp" : "local",
    instanceId,
    ...scrape,
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
