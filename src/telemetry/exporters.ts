// Where telemetry goes: Application Insights through the Azure Monitor exporters, or an OTLP/HTTP
// collector. Each destination gives one span processor, one metric reader, one log processor and
// its sampler; setup.ts builds the same providers around either. The packages load only when used.
import { join } from "node:path";
import {
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  type Resource,
} from "@opentelemetry/resources";
import type { LogRecordProcessor } from "@opentelemetry/sdk-logs";
import type { MetricReader } from "@opentelemetry/sdk-metrics";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import type { Config } from "../config/schema.ts";

export interface Exporters {
  kind: "azure-monitor" | "otlp";
  spans: SpanProcessor;
  metrics: MetricReader;
  logs: LogRecordProcessor;
  sampler: Sampler;
}

/** Keeps `ratio` of the traces that start here, and follows the caller's decision for the rest. */
export function ratioSampler(ratio: number): Sampler {
  return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
}

/**
 * Application Insights, with the exporter package alone: the Azure Monitor distro would bring the
 * whole OpenTelemetry Node SDK (live metrics, standard metrics, performance counters, instrumentations
 * armbridge turns off) and probe the Azure VM metadata endpoint for `cloud.*` attributes on every start.
 */
export async function azureMonitorExporters(
  connectionString: string,
  settings: Config["telemetry"],
  dataDir: string,
): Promise<Exporters> {
  const [azureMonitor, { PeriodicExportingMetricReader }, { BatchLogRecordProcessor }] = await Promise.all([
    import("@azure/monitor-opentelemetry-exporter"),
    import("@opentelemetry/sdk-metrics"),
    import("@opentelemetry/sdk-logs"),
  ]);
  // Telemetry the exporters could not send yet waits here and is sent again on a later start.
  const options = { connectionString, storageDirectory: join(dataDir, "telemetry") };
  return {
    kind: "azure-monitor",
    spans: new BatchSpanProcessor(new azureMonitor.AzureMonitorTraceExporter(options)),
    metrics: new PeriodicExportingMetricReader({
      exporter: new azureMonitor.AzureMonitorMetricExporter(options),
      exportIntervalMillis: settings.metricIntervalSeconds * 1000,
    }),
    logs: new BatchLogRecordProcessor({ exporter: new azureMonitor.AzureMonitorLogExporter(options) }),
    // Application Insights' own sampler: it decides on the trace id with the hash every Application
    // Insights SDK uses (services sampling at the same ratio keep the same traces), follows a local
    // parent, and writes the sampling rate on each kept span, which the exporter turns into the
    // envelope's sampleRate, so Application Insights counts each kept item for the ones left out.
    sampler: new azureMonitor.ApplicationInsightsSampler(settings.samplingRatio),
  };
}

/** An OTLP/HTTP collector at `endpoint` (`/v1/traces`, `/v1/metrics` and `/v1/logs` beneath it). */
export async function otlpExporters(endpoint: string, settings: Config["telemetry"]): Promise<Exporters> {
  const [
    { OTLPTraceExporter },
    { OTLPMetricExporter },
    { OTLPLogExporter },
    { BatchLogRecordProcessor },
    { PeriodicExportingMetricReader },
  ] = await Promise.all([
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/exporter-metrics-otlp-http"),
    import("@opentelemetry/exporter-logs-otlp-http"),
    import("@opentelemetry/sdk-logs"),
    import("@opentelemetry/sdk-metrics"),
  ]);
  return {
    kind: "otlp",
    spans: new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` })),
    metrics: new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
      exportIntervalMillis: settings.metricIntervalSeconds * 1000,
    }),
    logs: new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${endpoint}/v1/logs` }) }),
    sampler: ratioSampler(settings.samplingRatio),
  };
}

/**
 * The host (`host.name`, `host.arch`, `host.id`), the OS and OTEL_RESOURCE_ATTRIBUTES, awaited before
 * the first span ends: `host.id` is read asynchronously, and a span exported before it settled made
 * the SDK log "Accessing resource attributes before async attributes settled". No cloud detector runs:
 * the Azure VM detector asks the instance metadata endpoint (169.254.169.254) on every start, and
 * waits for its timeout off Azure and in tests, whose traffic must stay on loopback; `host.name` names
 * the VM, and the deployment knows its region and resource ids.
 */
export async function detectedResource(): Promise<Resource> {
  const detected = detectResources({ detectors: [envDetector, hostDetector, osDetector] });
  await detected.waitForAsyncAttributes?.();
  return detected;
}
