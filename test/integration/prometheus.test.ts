// GET /metrics: off by default; when enabled, the metrics the service records (ARM calls by operation,
// jobs, HTTP requests) in the Prometheus text format, as a scraper reads them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isSpanContextValid, trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConfigSchema } from "../../src/config/schema.ts";
import { startTelemetry, type Telemetry } from "../../src/telemetry/setup.ts";
import { githubDelivery } from "../helpers/github.ts";
import { type Harness, HOOK_SECRET, startHarness } from "../helpers/harness.ts";

describe("GET /metrics when telemetry.prometheus.enabled (no span exporter)", () => {
  let telemetry: Telemetry;
  let h: Harness;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "armbridge-prometheus-"));
    const settings = createConfigSchema({}, []).parse({
      telemetry: { prometheus: { enabled: true } },
    }).telemetry;
    telemetry = await startTelemetry(settings, { dataDir });
    h = await startHarness({ telemetry });
    const res = await h.request("/hooks/deploy", await githubDelivery(HOOK_SECRET, { group: "app-scraped" }));
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { jobs: { id: string }[] }).jobs[0]?.id as string;
    expect((await h.waitForJob(id)).state).toBe("succeeded");
  });
  afterAll(async () => {
    await h?.close();
    await telemetry?.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves the recorded metrics in the Prometheus text format", async () => {
    const res = await h.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await res.text();
    expect(text).toMatch(/^# HELP armbridge_arm_calls(_total)? /m);
    expect(text).toMatch(
      /^armbridge_arm_calls(_total)?\{[^}]*operation="resourceGroup\.ensure"[^}]*\} [1-9]/m,
    );
    expect(text).toMatch(/^armbridge_jobs(_total)?\{[^}]*\} [1-9]/m);
    expect(text).not.toContain(HOOK_SECRET);
  });

  it("records no span without a span exporter, but gives every log line its trace and span ids", () => {
    const span = trace.getTracer("test").startSpan("probe");
    expect(span.isRecording()).toBe(false);
    expect(isSpanContextValid(span.spanContext())).toBe(true);
    span.end();
    const access = h.logs.find((l) => l.msg === "request" && l.path === "/hooks/deploy");
    expect(access?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(access?.span_id).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("GET /metrics by default", () => {
  it("is not served", async () => {
    const h = await startHarness();
    try {
      const res = await h.request("/metrics");
      expect(res.status).toBe(404);
    } finally {
      await h.close();
    }
  });
});
