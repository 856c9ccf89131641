// Spans, attribution, log correlation and metrics of one webhook-triggered job, with local telemetry
// whose finished spans land in an in-memory exporter and the real Azure SDK talking to the emulator.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpanKind } from "@opentelemetry/api";
import { type CollectionResult, MetricReader } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConfigSchema } from "../../src/config/schema.ts";
import { startTelemetry, type Telemetry } from "../../src/telemetry/setup.ts";
import { ATTR } from "../../src/telemetry/span-processor.ts";
import { githubDelivery } from "../helpers/github.ts";
import { type Harness, HOOK_SECRET, startHarness } from "../helpers/harness.ts";

class TestMetricReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

describe("telemetry of a webhook-triggered job", () => {
  const spans = new InMemorySpanExporter();
  const reader = new TestMetricReader();
  let telemetry: Telemetry;
  let h: Harness;
  let dataDir: string;
  let jobId: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "armbridge-telemetry-"));
    const settings = createConfigSchema({}, []).parse({}).telemetry;
    telemetry = await startTelemetry(settings, { dataDir, spanExporter: spans, metricReader: reader });
    h = await startHarness({ telemetry });
    const delivery = await githubDelivery(HOOK_SECRET, {
      group: "app-traced",
      repository: { full_name: "contoso/web", id: 7 },
    });
    const res = await h.request("/hooks/deploy", {
      ...delivery,
      headers: {
        ...(delivery.headers as Record<string, string>),
        traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
      },
    });
    expect(res.status).toBe(202);
    jobId = ((await res.json()) as { jobs: { id: string }[] }).jobs[0]?.id as string;
    expect((await h.waitForJob(jobId)).state).toBe("succeeded");
    await telemetry.flush();
  });
  afterAll(async () => {
    await h?.close();
    await telemetry?.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const traced = () => spans.getFinishedSpans().filter((s) => s.spanContext().traceId === TRACE_ID);
  const named = (name: string) => traced().find((s) => s.name === name) as ReadableSpan;

  it("continues the caller's traceparent from the request span down to the Azure SDK's HTTP spans", () => {
    const server = named("POST /hooks/:hookId");
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(server.attributes["http.response.status_code"]).toBe(202);

    const job = named("Job.execute");
    expect(job.kind).toBe(SpanKind.INTERNAL);
    expect(job.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(job.links[0]?.context.spanId).toBe(server.spanContext().spanId);

    const operation = named("Operation.resourceGroup.ensure");
    expect(operation.parentSpanContext?.spanId).toBe(job.spanContext().spanId);

    const http = traced().filter((s) => s.kind === SpanKind.CLIENT && s.attributes["http.method"] === "PUT");
    expect(http.length).toBeGreaterThan(0);
    const ids = new Set(traced().map((s) => s.spanContext().spanId));
    for (const s of http) expect(ids.has(s.parentSpanContext?.spanId as string)).toBe(true);
  });

  it("attributes every span of the trace, the SDK's included, to the caller; job spans to the job and ARM ids", () => {
    const all = traced();
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const s of all) {
      expect(s.attributes[ATTR.callerId], s.name).toBe("ci");
      expect(s.attributes[ATTR.callerKind], s.name).toBe("github-webhook");
      expect(s.attributes[ATTR.callerSubject], s.name).toBe("repo:contoso/web");
      expect(s.attributes[ATTR.operation], s.name).toBe("resourceGroup.ensure");
      expect(String(s.attributes[ATTR.scope]), s.name).toMatch(/\/resourceGroups\/app-traced$/);
      expect(s.attributes[ATTR.routeId], s.name).toBe("push-ensures-group");
    }
    const put = h.emulator
      .requests({ method: "PUT" })
      .find((r) => r.canonicalPath.endsWith("/resourcegroups/app-traced"));
    const http = all.find((s) => s.kind === SpanKind.CLIENT && s.attributes["http.method"] === "PUT");
    expect(http?.attributes[ATTR.jobId]).toBe(jobId);
    expect(http?.attributes[ATTR.correlationId]).toBe(put?.correlationId);
    expect(http?.attributes[ATTR.armRequestId]).toBe(put?.armRequestId);
  });

  it("writes the trace and span ids into the log lines written inside a span", () => {
    const access = h.logs.find((l) => l.msg === "request" && l.path === "/hooks/deploy");
    expect(access?.trace_id).toBe(TRACE_ID);
    expect(access?.span_id).toBe(named("POST /hooks/:hookId").spanContext().spanId);
    // One line per accepted delivery: the access line names the caller and what it asked for.
    expect(access?.callerId).toBe("ci");
    expect(access?.operations).toEqual(["resourceGroup.ensure"]);
    expect(h.logs.filter((l) => l.requestId === access?.requestId)).toHaveLength(1);
  });

  it("counts requests, events, jobs, ARM calls, token refreshes and the queue", async () => {
    const { resourceMetrics } = (await reader.collect()) as CollectionResult;
    const points = new Map(
      resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => [m.descriptor.name, m.dataPoints])),
    );
    const sum = (name: string, match: Record<string, unknown> = {}) =>
      (points.get(name) ?? [])
        .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
        .reduce((n, p) => n + Number(p.value), 0);
    expect(
      sum("armbridge.http.requests", { "http.route": "/hooks/:hookId", "http.response.status_code": 202 }),
    ).toBe(1);
    expect(sum("armbridge.events", { outcome: "accepted" })).toBe(1);
    expect(sum("armbridge.jobs", { state: "accepted" })).toBe(1);
    expect(sum("armbridge.jobs", { state: "succeeded" })).toBe(1);
    expect(
      sum("armbridge.arm.calls", { operation: "resourceGroup.ensure", "http.request.method": "PUT" }),
    ).toBe(1);
    expect(sum("armbridge.token.refreshes")).toBeGreaterThanOrEqual(1);
    expect(points.has("armbridge.jobs.queued")).toBe(true);
  });
});
