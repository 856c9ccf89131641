// Sampling as Application Insights counts it: armbridge as a process with `telemetry.samplingRatio:
// 0.5` exports through the real Azure Monitor exporter to the fake ingestion endpoint. It keeps the
// traces another Application Insights SDK at the same ratio keeps (the decision is a hash of the trace
// id), marks what it keeps with the rate so each item counts for two, and samples neither its log
// lines nor its metrics.
import { randomBytes } from "node:crypto";
import { ApplicationInsightsSampler } from "@azure/monitor-opentelemetry-exporter";
import { ROOT_CONTEXT, SpanKind } from "@opentelemetry/api";
import { SamplingDecision } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExportingRun, startExportingRun } from "../helpers/exporting-run.ts";
import { deployHookConfig, processConfigHead, signedDelivery } from "../helpers/processes.ts";

const HOOK_SECRET = randomBytes(24).toString("hex");
const RATIO = 0.5;

/** A trace id that an Application Insights SDK sampling at `RATIO` keeps (or drops). */
function traceId(kept: boolean): string {
  const sampler = new ApplicationInsightsSampler(RATIO);
  for (;;) {
    const id = randomBytes(16).toString("hex");
    const { decision } = sampler.shouldSample(ROOT_CONTEXT, id, "", SpanKind.SERVER, {}, []);
    if ((decision === SamplingDecision.RECORD_AND_SAMPLED) === kept) return id;
  }
}

describe("telemetry sampled at 0.5 for Application Insights", () => {
  const KEPT = traceId(true);
  const DROPPED = traceId(false);
  let run: ExportingRun;

  beforeAll(async () => {
    run = await startExportingRun(
      "sampling-e2e",
      (root, emulator) => `${processConfigHead(root, emulator)}
telemetry: { samplingRatio: ${RATIO} }
callers:
  - { id: ci, kind: github-webhook, secrets: [{ env: HOOK_SECRET }] }
${deployHookConfig()}`,
      { HOOK_SECRET },
    );
    for (const [group, trace] of [
      ["app-kept", KEPT],
      ["app-dropped", DROPPED],
    ] as const) {
      const delivery = signedDelivery(HOOK_SECRET, { group });
      const res = await fetch(`${run.armbridge.url}/hooks/deploy`, {
        ...delivery,
        headers: {
          ...(delivery.headers as Record<string, string>),
          traceparent: `00-${trace}-${randomBytes(8).toString("hex")}-01`,
          prefer: "wait=20",
        },
      });
      const body = (await res.json()) as { jobs: { state: string }[] };
      expect(body.jobs[0]?.state, JSON.stringify(body)).toBe("succeeded");
    }
    expect(await run.stopArmbridge()).toBe(0);
  });
  afterAll(() => run?.close());

  const ofTrace = (id: string, ...kinds: string[]) =>
    run.ingestion.envelopes.filter(
      (e) => e.tags["ai.operation.id"] === id && kinds.includes(e.data.baseType),
    );

  it("exports the kept trace whole, each item with sample rate 50 so that it counts for two", () => {
    const items = ofTrace(KEPT, "RequestData", "RemoteDependencyData");
    const names = items.map((e) => String(e.data.baseData.name));
    expect(names).toEqual(
      expect.arrayContaining(["POST /hooks/:hookId", "Job.execute", "Operation.resourceGroup.ensure"]),
    );
    expect(names.some((n) => n.startsWith("PUT /subscriptions/"))).toBe(true);
    expect(new Set(items.map((e) => e.sampleRate))).toEqual(new Set([50]));
  });

  it("exports no request or dependency of the dropped trace, though its job ran and logged", () => {
    expect(ofTrace(DROPPED, "RequestData", "RemoteDependencyData")).toEqual([]);
    const logs = ofTrace(DROPPED, "MessageData");
    expect(logs.map((e) => e.data.baseData.message)).toContain("request");
    expect(new Set(logs.map((e) => e.sampleRate))).toEqual(new Set([100]));
  });

  it("counts both requests in the metrics, which are not sampled", () => {
    const hooks = run.ingestion.envelopes
      .filter((e) => e.data.baseType === "MetricData")
      .filter((e) => e.data.baseData.properties?.["http.route"] === "/hooks/:hookId")
      .flatMap((e) => e.data.baseData.metrics as { name: string; value: number }[])
      .filter((m) => m.name === "armbridge.http.requests");
    expect(hooks.reduce((n, m) => n + m.value, 0)).toBe(2);
  });

  it("connects to nothing but loopback", () => {
    expect(run.connections.remotes()).toContain("127.0.0.1");
    expect(run.connections.offLoopback()).toEqual([]);
  });
});
