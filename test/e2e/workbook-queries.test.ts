// The operators' workbook and alert rules (deploy/workbook/, deploy/alerts/) query what armbridge
// really sends: armbridge runs as its own process against the emulator and exports through the real
// Azure Monitor exporter to a fake ingestion endpoint, while a job succeeds, a caller is refused by
// policy and another by its signature, ARM throttles a job to death, and the IMDS lock-down watch's
// textfile says the lock-down holds. Every table, column and customDimensions key that a query names
// must then be found in those envelopes, so renaming an attribute in src/ fails here.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExportingRun, startExportingRun } from "../helpers/exporting-run.ts";
import { deployedQueries, missingReferences, type Row, rowsOf } from "../helpers/kql.ts";
import {
  deployHookConfig,
  type EmulatorProcess,
  processConfigHead,
  PROCESS_SUBSCRIPTION as SUBSCRIPTION,
  signedDelivery,
} from "../helpers/processes.ts";

const HOOK_SECRET = randomBytes(24).toString("hex");

/** The config, with the IMDS lock-down watch's textfile written beside it. */
function config(dir: string, emulator: EmulatorProcess): string {
  const lockdownFile = join(dir, "armbridge-imds.prom");
  writeLockdownTextfile(lockdownFile);
  return `${processConfigHead(dir, emulator)}
  retry: { maxRetries: 0 }
jobs: { maxAttempts: 1 }
telemetry: { imdsLockdownFile: ${JSON.stringify(lockdownFile)} }
callers:
  - { id: ci, kind: github-webhook, secrets: [{ env: HOOK_SECRET }] }
${deployHookConfig()}`;
}

/** What the watch writes (deploy/imds/watch-imds-lockdown.sh), for a check that found the lock-down in force. */
function writeLockdownTextfile(path: string): void {
  writeFileSync(
    path,
    [
      "# TYPE armbridge_imds_lockdown_in_force gauge",
      "armbridge_imds_lockdown_in_force 1",
      "# TYPE armbridge_imds_lockdown_repairs_total counter",
      "armbridge_imds_lockdown_repairs_total 2",
      "# TYPE armbridge_imds_lockdown_last_check_timestamp_seconds gauge",
      `armbridge_imds_lockdown_last_check_timestamp_seconds ${Math.floor(Date.now() / 1000)}`,
      "",
    ].join("\n"),
  );
}

describe("workbook and alert queries against the telemetry armbridge emits", () => {
  let run: ExportingRun;
  /** The exported envelopes as rows of the classic tables. */
  let rows: Row[] = [];

  beforeAll(async () => {
    run = await startExportingRun("workbook-e2e", config, { HOOK_SECRET });
    const { armbridge, emulator } = run;
    const hook = async (group: string, secret = HOOK_SECRET) => {
      const delivery = signedDelivery(secret, { group });
      const res = await fetch(`${armbridge.url}/hooks/deploy`, {
        ...delivery,
        headers: { ...(delivery.headers as Record<string, string>), prefer: "wait=20" },
      });
      return { status: res.status, body: (await res.json()) as { jobs?: { state: string }[] } };
    };

    const ok = await hook("app-ok");
    expect(ok.body.jobs?.[0]?.state, JSON.stringify(ok.body)).toBe("succeeded");
    // Refused by policy (outside the grant's scopes) and by signature.
    expect((await hook("prod-denied")).status).toBe(403);
    expect((await hook("app-forged", "a-wrong-secret")).status).toBe(401);
    // ARM throttles every write: with one attempt allowed, the job ends dead.
    await emulator.control("POST", "/_emulator/configure", {
      faults: { rate: 1, statuses: [429], methods: ["PUT"] },
    });
    const throttled = await hook("app-throttled");
    expect(throttled.body.jobs?.[0]?.state, JSON.stringify(throttled.body)).toBe("dead");
    // ARM refuses the next write for good: the job fails. It first waits out the 429's Retry-After in
    // armbridge's limiter.
    await emulator.control("POST", "/_emulator/configure", {
      faults: { rate: 1, statuses: [400], methods: ["PUT"] },
    });
    const refused = await hook("app-refused");
    expect(refused.body.jobs?.[0]?.state, JSON.stringify(refused.body)).toBe("failed");

    expect(await run.stopArmbridge()).toBe(0);
    rows = rowsOf(run.ingestion.envelopes);
  });
  afterAll(() => run?.close());

  const queries = deployedQueries();

  it("finds the workbook's query items and every alert rule's query", () => {
    expect(queries.filter((q) => q.source.startsWith("workbook:")).length).toBeGreaterThanOrEqual(10);
    expect(queries.filter((q) => q.source.startsWith("alert:")).map((q) => q.source)).toEqual(
      expect.arrayContaining([
        "alert:dead-jobs.kql",
        "alert:arm-throttling.kql",
        "alert:imds-lockdown-unchecked.kql",
      ]),
    );
  });

  it.each(queries.map((q) => [q.source, q.kql] as const))(
    "%s reads only tables, columns, customDimensions keys and values that armbridge emits",
    (_source, kql) => {
      expect(missingReferences(kql, rows)).toEqual([]);
    },
  );

  it("would notice a renamed attribute: the same checks report a key or value nobody emits", () => {
    const deadJobs = queries.find((q) => q.source === "alert:dead-jobs.kql")?.kql ?? "";
    expect(
      missingReferences(deadJobs.replace("customDimensions.callerId", "customDimensions.caller_id"), rows),
    ).toEqual(["traces.customDimensions.caller_id"]);
    // A message nobody logs selects no rows, so the keys read from them are missing too.
    expect(missingReferences(deadJobs.replace("job dead-lettered", "job dead"), rows)).toEqual(
      expect.arrayContaining(['message == "job dead"', "traces.customDimensions.callerId"]),
    );
    const throttling = queries.find((q) => q.source === "alert:arm-throttling.kql")?.kql ?? "";
    expect(missingReferences(throttling.replace("dependencies", "requests"), rows)).toEqual(
      expect.arrayContaining(["requests.customDimensions.armbridge.arm.subscription"]),
    );
  });

  it("attributes the throttled ARM call to its caller, with ARM's Retry-After and subscription", () => {
    const throttled = rows.filter((r) => r.table === "dependencies" && r.columns.resultCode === "429");
    expect(throttled.length).toBe(1);
    expect(throttled[0]?.columns.user_AuthenticatedId).toBe("ci");
    expect(throttled[0]?.customDimensions).toMatchObject({
      "armbridge.arm.subscription": SUBSCRIPTION,
      "armbridge.arm.retry_after_ms": "1000",
    });
    // The IMDS token request is not an ARM call.
    const arm = rows.filter(
      (r) => r.table === "dependencies" && r.customDimensions["armbridge.arm.subscription"],
    );
    expect(arm.every((r) => String(r.columns.name).includes("/subscriptions/"))).toBe(true);
  });

  it("exports the lock-down watch's textfile as gauges: in force, repairs, seconds since the check", () => {
    const gauge = (name: string) =>
      rows.find((r) => r.table === "customMetrics" && r.columns.name === name)?.columns.value;
    expect(gauge("armbridge.imds_lockdown.in_force")).toBe(1);
    expect(gauge("armbridge.imds_lockdown.repairs")).toBe(2);
    expect(gauge("armbridge.imds_lockdown.check_age")).toBeGreaterThanOrEqual(0);
  });

  it("reads no resource attribute before it settled, and connects to nothing but loopback", () => {
    expect(run.armbridge.lines.filter((l) => l.includes("async attributes settled"))).toEqual([]);
    expect(run.connections.remotes()).toContain("127.0.0.1");
    expect(run.connections.offLoopback()).toEqual([]);
  });
});
