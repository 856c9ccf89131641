// The audit log through GET /v1/audit: from an activity-log correlation id to the caller, decisions
// and refusals, filters and pages, retention, and the optional caller tag on written resources.
import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/record.ts";
import { startAuditRetention } from "../../src/audit/retention.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import { githubDelivery } from "../helpers/github.ts";
import { BASE_CONFIG, type Harness, HOOK_SECRET, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";
import { refusal } from "../helpers/refusal.ts";

const OPERATOR_KEY = "audit-operator-key";
const operator = { authorization: `Bearer ${OPERATOR_KEY}` };
const CONFIG = `${BASE_CONFIG}
operators: [{ id: ops, apiKeyHash: "${createHash("sha256").update(OPERATOR_KEY).digest("hex")}" }]
audit: { retentionDays: 30, callerTag: armbridge-caller }
`;

const push = (group: string) => ({ group, repository: { full_name: "contoso/web", id: 7 } });

describe("GET /v1/audit", () => {
  let h: Harness;
  const audit = async (query: string) => {
    const res = await h.request(`/v1/audit?${query}`, { headers: operator });
    expect(res.status).toBe(200);
    return (await res.json()) as { records: AuditRecord[]; links: { next: string | null } };
  };
  const run = async (group: string) => {
    const res = await h.request("/hooks/deploy", await githubDelivery(HOOK_SECRET, push(group)));
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { jobs: { id: string }[] }).jobs[0]?.id as string;
    return h.waitForJob(id);
  };

  beforeAll(async () => {
    h = await startHarness({ config: CONFIG });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("finds the caller from the correlation id of an ARM call in the emulator's request log", async () => {
    const job = await run("app-audited");
    expect(job.state).toBe("succeeded");
    const put = h.emulator
      .requests({ method: "PUT" })
      .find((r) => r.canonicalPath.endsWith("/resourcegroups/app-audited"));
    expect(put?.correlationId).toBeDefined();

    const { records } = await audit(`correlationId=${put?.correlationId}`);
    expect(new Set(records.map((r) => r.callerId))).toEqual(new Set(["ci"]));
    const call = records.find((r) => r.kind === "arm-call" && r.armRequestId === put?.armRequestId);
    expect(call).toMatchObject({ jobId: job.id, operation: "resourceGroup.ensure", status: put?.status });
    expect(records.find((r) => r.kind === "job")).toMatchObject({ outcome: "succeeded", jobId: job.id });

    // The decision that let the job in is on record too, under the same request.
    const { records: decisions } = await audit(`kind=decision&caller=ci&decision=allow`);
    expect(decisions.some((r) => r.requestId === call?.requestId && r.scope.endsWith("/app-audited"))).toBe(
      true,
    );
  });

  it("records a policy refusal and an authentication refusal as decisions", async () => {
    const denied = await h.request("/hooks/deploy", await githubDelivery(HOOK_SECRET, push("other-group")));
    expect(await refusal(denied)).toEqual({ status: 403, code: "forbidden" });
    const { records } = await audit("decision=deny&operation=resourceGroup.ensure");
    expect(records[0]).toMatchObject({ callerId: "ci", kind: "decision", decision: "deny" });
    expect(records[0]?.scope).toMatch(/\/resourceGroups\/other-group$/);
    expect(records[0]?.reason).toBeTruthy();

    const forged = await githubDelivery("not-the-secret", push("app-forged"));
    expect(await refusal(await h.request("/hooks/deploy", forged))).toEqual({
      status: 401,
      code: "bad_signature",
    });
    const { records: refusals } = await audit("decision=deny&operation=authenticate");
    expect(refusals[0]).toMatchObject({ callerId: "ci", kind: "decision", outcome: "POST /hooks/deploy" });
  });

  it("filters by scope at or below it, pages with a cursor, and refuses bad queries", async () => {
    await run("app-paged");
    const scope = `/subscriptions/${SUBSCRIPTION}/resourcegroups/APP-PAGED`;
    const all = await audit(`scope=${encodeURIComponent(scope)}`);
    expect(all.records.length).toBeGreaterThanOrEqual(3);
    expect(all.records.every((r) => r.scope.toLowerCase().endsWith("/app-paged"))).toBe(true);

    const first = await audit(`scope=${encodeURIComponent(scope)}&limit=2`);
    expect(first.records).toHaveLength(2);
    const second = await h.request(first.links.next as string, { headers: operator });
    const page = (await second.json()) as { records: AuditRecord[] };
    expect(page.records[0]).toEqual(all.records[2]);

    expect((await h.request("/v1/audit?cursor=nonsense", { headers: operator })).status).toBe(400);
    expect((await h.request("/v1/audit?decision=maybe", { headers: operator })).status).toBe(400);
    expect(await refusal(await h.request("/v1/audit"))).toEqual({ status: 401, code: "unauthenticated" });
  });

  it("tags what a job writes with the caller's id when callerTag is configured", async () => {
    await run("app-tagged");
    const group = h.emulator.resource(`/subscriptions/${SUBSCRIPTION}/resourcegroups/app-tagged`) as {
      tags: Record<string, string>;
    };
    expect(group.tags).toEqual({ repository: "contoso/web", "armbridge-caller": "ci" });
  });

  it("purges records older than the retention", async () => {
    const old = new Date(Date.now() - 31 * 86_400_000).toISOString();
    await h.runtime.store.appendAudit([
      { time: old, requestId: "r-old", callerId: "ancient", operation: "x", scope: "", kind: "decision" },
    ]);
    expect((await audit("caller=ancient")).records).toHaveLength(1);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const retention = startAuditRetention(h.runtime.store, 30, createLogger("info", sink));
    try {
      for (let i = 0; i < 100 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    } finally {
      retention.stop();
    }
    expect(JSON.parse(lines[0] as string)).toMatchObject({ purged: 1, retentionDays: 30 });
    expect((await audit("caller=ancient")).records).toHaveLength(0);
    expect((await audit("caller=ci")).records.length).toBeGreaterThan(0);
  });
});
