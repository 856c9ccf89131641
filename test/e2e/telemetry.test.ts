// armbridge as its own process, exporting to a fake Application Insights ingestion endpoint through
// the real Azure Monitor exporter: the envelopes of one webhook-triggered job carry the caller and
// the caller's trace; the audit log leads from an ARM correlation id to the caller; and nothing a
// full run writes or exports contains a token, an HMAC secret or an API key.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/record.ts";
import { type ExportingRun, startExportingRun } from "../helpers/exporting-run.ts";
import type { Envelope } from "../helpers/fake-ingestion.ts";
import {
  deployHookConfig,
  type EmulatorProcess,
  processConfigHead,
  signedDelivery,
} from "../helpers/processes.ts";

const HOOK_SECRET = randomBytes(24).toString("hex");
const API_KEY = `svc-${randomBytes(24).toString("hex")}`;
const OPERATOR_KEY = `ops-${randomBytes(24).toString("hex")}`;
const TRACE_ID = randomBytes(16).toString("hex");
const CALLER_SPAN = randomBytes(8).toString("hex");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function config(dir: string, emulator: EmulatorProcess): string {
  return `${processConfigHead(dir, emulator)}
operators: [{ id: ops, apiKeyHash: "${sha256(OPERATOR_KEY)}" }]
callers:
  - { id: ci, kind: github-webhook, secrets: [{ env: HOOK_SECRET }] }
  - { id: svc, kind: api-key, keys: [{ hash: "sha256:${sha256(API_KEY)}" }] }
${deployHookConfig()}`;
}

describe("telemetry exported to Application Insights", () => {
  let run: ExportingRun;
  let jobCorrelationId: string;
  const signatures: string[] = [];
  let audit: AuditRecord[] = [];

  beforeAll(async () => {
    run = await startExportingRun("telemetry-e2e", config, { HOOK_SECRET });
    const { armbridge, emulator } = run;

    // One webhook-triggered job, with the caller's own trace context, waited for in the same request.
    const delivery = signedDelivery(HOOK_SECRET, { group: "app-observed", ref: "refs/heads/main" });
    const headers = delivery.headers as Record<string, string>;
    signatures.push(headers["x-hub-signature-256"] as string);
    const res = await fetch(`${armbridge.url}/hooks/deploy`, {
      ...delivery,
      headers: { ...headers, traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, prefer: "wait=20" },
    });
    const body = (await res.json()) as { jobs: { state: string; correlationId: string }[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.jobs[0]?.state).toBe("succeeded");
    jobCorrelationId = body.jobs[0]?.correlationId as string;

    // The rest of a full run: an API-key caller, a forged delivery, an operator reading the audit log.
    const whoami = await fetch(`${armbridge.url}/v1/whoami`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(whoami.status).toBe(200);
    const forged = signedDelivery("a-wrong-secret", { group: "app-forged" });
    signatures.push((forged.headers as Record<string, string>)["x-hub-signature-256"] as string);
    expect((await fetch(`${armbridge.url}/hooks/deploy`, forged)).status).toBe(401);
    const put = (await emulator.requests({ method: "PUT" })).find((r) =>
      r.canonicalPath.endsWith("/resourcegroups/app-observed"),
    ) as { correlationId?: string } | undefined;
    const found = await fetch(`${armbridge.url}/v1/audit?correlationId=${put?.correlationId}`, {
      headers: { authorization: `Bearer ${OPERATOR_KEY}` },
    });
    audit = ((await found.json()) as { records: AuditRecord[] }).records;

    // SIGTERM drains and flushes the exporter before the process exits.
    expect(await run.stopArmbridge()).toBe(0);
  });
  afterAll(() => run?.close());

  const ofTrace = () => run.ingestion.envelopes.filter((e) => e.tags["ai.operation.id"] === TRACE_ID);
  const kind = (e: Envelope) => e.data.baseType;

  it("sends the log lines to Application Insights through the pino log bridge, each with its trace", () => {
    const lines = run.armbridge.lines
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // OpenTelemetry's own diagnostics stay on stdout (bridged, they would feed themselves).
    const traced = lines
      .filter((l) => l.trace_id === TRACE_ID && l.namespace !== "opentelemetry")
      .map((l) => l.msg);
    expect(traced.length).toBeGreaterThan(0);
    const messages = ofTrace()
      .filter((e) => kind(e) === "MessageData")
      .map((e) => e.data.baseData.message);
    expect(messages).toEqual(expect.arrayContaining(traced));
    const listening = run.ingestion.envelopes.find(
      (e) => kind(e) === "MessageData" && e.data.baseData.message === "armbridge listening",
    );
    expect(listening?.data.baseData.properties).toMatchObject({ url: run.armbridge.url });
  });

  it("gives every request and dependency envelope of the job the caller's id and the caller's trace", () => {
    const traced = ofTrace().filter((e) => ["RequestData", "RemoteDependencyData"].includes(kind(e)));
    const requests = traced.filter((e) => kind(e) === "RequestData");
    const dependencies = traced.filter((e) => kind(e) === "RemoteDependencyData");
    expect(requests.map((e) => e.data.baseData.name)).toEqual(["POST /hooks/:hookId"]);
    const names = dependencies.map((e) => String(e.data.baseData.name));
    expect(names).toEqual(expect.arrayContaining(["Job.execute", "Operation.resourceGroup.ensure"]));
    expect(names.some((n) => n.startsWith("PUT /subscriptions/"))).toBe(true);
    for (const e of traced) {
      expect(e.tags["ai.user.authUserId"], String(e.data.baseData.name)).toBe("ci");
      expect(e.data.baseData.properties?.["armbridge.caller.kind"]).toBe("github-webhook");
    }
    const hook = requests.find((e) => e.data.baseData.name === "POST /hooks/:hookId");
    expect(hook?.tags["ai.operation.parentId"]).toBe(CALLER_SPAN);
    expect(hook?.data.baseData.responseCode).toBe("200");
  });

  it("exports the ARM call as a dependency with ARM's request id and the job's correlation id", async () => {
    const put = (await run.emulator.requests({ method: "PUT" })).find((r) =>
      r.canonicalPath.endsWith("/resourcegroups/app-observed"),
    ) as { armRequestId: string } | undefined;
    const arm = run.ingestion.envelopes.filter(
      (e) =>
        kind(e) === "RemoteDependencyData" &&
        String(e.data.baseData.target).startsWith(run.emulator.armUrl) &&
        e.data.baseData.properties?.["armbridge.arm.request_id"],
    );
    expect(arm.length).toBeGreaterThan(0);
    // No ARM call escaped the caller's trace.
    for (const e of arm) expect(e.tags["ai.operation.id"]).toBe(TRACE_ID);
    const call = arm.find(
      (e) => e.data.baseData.properties?.["armbridge.arm.request_id"] === put?.armRequestId,
    );
    expect(call?.data.baseData.properties).toMatchObject({
      "armbridge.arm.correlation_request_id": jobCorrelationId,
      "armbridge.operation": "resourceGroup.ensure",
    });
  });

  it("leads from the correlation id in the emulator's request log to the caller through GET /v1/audit", () => {
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expect(new Set(audit.map((r) => r.callerId))).toEqual(new Set(["ci"]));
    expect(audit.map((r) => r.kind)).toContain("arm-call");
  });

  it("exports armbridge's metrics on shutdown", () => {
    const names = new Set(
      run.ingestion.envelopes
        .filter((e) => kind(e) === "MetricData")
        .flatMap((e) => (e.data.baseData.metrics as { name: string }[]).map((m) => m.name)),
    );
    expect(names).toContain("armbridge.http.requests");
    expect(names).toContain("armbridge.arm.calls");
  });

  it("writes no access token, HMAC secret, signature or API key into any log line or envelope", async () => {
    const tokens = await run.emulator.control<string[]>("GET", "/_emulator/tokens");
    expect(tokens.length).toBeGreaterThan(0);
    const secrets = [...tokens, HOOK_SECRET, API_KEY, OPERATOR_KEY, ...signatures.map((s) => s.slice(7))];
    const logs = run.armbridge.lines.join("\n");
    expect(run.armbridge.lines.length).toBeGreaterThan(10);
    expect(run.ingestion.bodies.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(logs.includes(secret), `log holds ${secret.slice(0, 12)}…`).toBe(false);
      for (const body of run.ingestion.bodies)
        expect(body.includes(secret), `envelope holds ${secret.slice(0, 12)}…`).toBe(false);
    }
    expect(logs).not.toContain(run.ingestion.connectionString.split(";")[0]);
    expect(logs).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\./);
    expect(run.ingestion.otherPaths).toEqual([]);
  });

  it("connects to nothing but loopback: the emulator and the ingestion endpoint, no cloud metadata probe", () => {
    expect(run.connections.remotes()).toContain("127.0.0.1");
    expect(run.connections.offLoopback()).toEqual([]);
  });
});
