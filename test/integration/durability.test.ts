// The durability guarantees, in process and fast: a write reaches ARM once even when its answer is
// lost, a retry looks before it writes again (each operation's checkApplied), and nothing is
// answered before its COMMIT. The SIGKILL test (test/e2e/durable.test.ts) is the second net.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ArmClients, createArmClients } from "../../src/azure/arm-clients.ts";
import { createManagedIdentityCredential } from "../../src/azure/credential.ts";
import { parseConfig } from "../../src/config/load.ts";
import { attempt } from "../../src/jobs/attempt.ts";
import type { Job } from "../../src/jobs/job.ts";
import { openSqliteJobStore } from "../../src/jobs/sqlite/store.ts";
import type { JobStore } from "../../src/jobs/store.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { resourceGroupDelete } from "../../src/operations/resource-group-delete.ts";
import { resourceGroupEnsure } from "../../src/operations/resource-group-ensure.ts";
import { type Harness, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";

const KEY = "durability-test-key";
const GROUPS = `/subscriptions/${SUBSCRIPTION}/resourceGroups`;
const CONFIG = `
azure:
  retry: { maxRetries: 0 }
callers:
  - { id: svc, kind: api-key, keys: [{ hash: "sha256:${createHash("sha256").update(KEY).digest("hex")}" }] }
grants:
  - { caller: svc, operations: ["*"], scopes: ["/subscriptions/${SUBSCRIPTION}"] }
`;

let h: Harness;
let arm: ArmClients;
let store: JobStore;
beforeAll(async () => {
  // No SDK retries: every attempt of a job is exactly one request, so the request log counts attempts.
  h = await startHarness({ config: CONFIG, jobs: { maxAttempts: 4, retryBaseMs: 10, retryMaxMs: 20 } });
  const azure = parseConfig(CONFIG, {}, operationNames).azure;
  const settings = { ...azure, resourceManagerEndpoint: h.emulator.armUrl, imdsEndpoint: h.emulator.imdsUrl };
  arm = createArmClients(createManagedIdentityCredential(settings), settings, {
    extraCaPem: h.emulator.caCertPem,
  });
  // The attempts below run on a store of their own, so the harness's worker never claims them.
  store = openSqliteJobStore(":memory:");
});
afterEach(() => h.emulator.configure({ faults: { rate: 0 } }));
afterAll(async () => {
  await store?.close();
  await h?.close();
});

/** Requests the emulator received for one resource group, by method. */
function sent(method: string, group: string): number {
  const path = `${GROUPS}/${group}`.toLowerCase();
  return h.emulator.requests({ method }).filter((r) => r.canonicalPath === path).length;
}

async function createGroup(name: string, location: string, tags?: Record<string, string>) {
  await arm
    .resources(SUBSCRIPTION)
    .resourceGroups.createOrUpdate(name, { location, ...(tags ? { tags } : {}) });
}

/** A job of `operation` claimed from the store for its `attempts`-th attempt, as the worker gets it. */
async function claimed(operation: string, params: Record<string, unknown>, attempts: number): Promise<Job> {
  const { jobs } = await store.accept([
    {
      idempotencyKey: undefined,
      requestId: "r-durability",
      caller: { id: "svc", kind: "api-key", subject: "api-key:svc", claims: {} },
      routeId: "api",
      actionIndex: 0,
      operation,
      params,
      scope: `${GROUPS}/${String(params.resourceGroupName)}`,
    },
  ]);
  const id = jobs[0]?.id as string;
  for (let n = 1; ; n++) {
    const [job] = await store.claim(1, 60_000);
    if (job?.id !== id) throw new Error(`claimed ${job?.id}, expected ${id}`);
    if (n === attempts) return job;
    await store.reschedule(id, new Date(0), undefined, false);
  }
}

/** POST /v1/operations/resourceGroup.ensure for a group, as the direct API's caller sends it. */
const ensureViaApi = (name: string, headers: Record<string, string> = {}) =>
  h.request("/v1/operations/resourceGroup.ensure", {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(ensure(name)),
  });

const run = (job: Job, operation = resourceGroupEnsure) =>
  attempt(job, operation, {
    store,
    arm,
    authorizeChange: () => undefined,
    signal: new AbortController().signal,
    instanceId: "test",
  });

describe("a write whose answer was lost is not sent again", () => {
  it("ensures a group once: the retry finds the first write applied and sends no second PUT", async () => {
    // ARM applies the PUT and then answers 503: the worker cannot know the write took effect.
    h.emulator.configure({ faults: { rate: 1, statuses: [503], methods: ["PUT"], phase: "after" } });
    const res = await ensureViaApi("dur-lost");
    expect(res.status).toBe(202);
    const job = await h.waitForJob(((await res.json()) as { jobs: { id: string }[] }).jobs[0]?.id as string);
    expect(job).toMatchObject({ state: "succeeded", attempts: 2, result: { name: "dur-lost" } });
    expect(sent("PUT", "dur-lost")).toBe(1);
    expect(sent("GET", "dur-lost")).toBe(1);
    const line = h.logs.find((l) => l.jobId === job.id && l.msg === "job succeeded");
    expect(line).toMatchObject({ attempts: 2, alreadyApplied: true });
  });
});

describe("resourceGroup.ensure checks before it writes again", () => {
  it("does not look on a first attempt", async () => {
    await createGroup("dur-first", "westeurope");
    const outcome = await run(await claimed("resourceGroup.ensure", ensure("dur-first"), 1));
    expect(outcome).toMatchObject({ kind: "succeeded", alreadyApplied: false });
    expect([sent("GET", "dur-first"), sent("PUT", "dur-first")]).toEqual([0, 2]);
  });

  it("finds the group as asked (location compared without case and spaces) and sends no PUT", async () => {
    await createGroup("dur-same", "westeurope", { team: "a" });
    const job = await claimed("resourceGroup.ensure", ensure("dur-same", "West Europe", { team: "a" }), 2);
    expect(await run(job)).toEqual({
      kind: "succeeded",
      alreadyApplied: true,
      result: expect.objectContaining({ name: "dur-same", location: "westeurope", tags: { team: "a" } }),
    });
    expect([sent("GET", "dur-same"), sent("PUT", "dur-same")]).toEqual([1, 1]);
    // And the other way round: the group as ARM holds it written with spaces.
    await createGroup("dur-spaced", "West Europe");
    const spaced = await claimed("resourceGroup.ensure", ensure("dur-spaced", "westeurope"), 2);
    expect(await run(spaced)).toMatchObject({ kind: "succeeded", alreadyApplied: true });
    expect(sent("PUT", "dur-spaced")).toBe(1);
  });

  it.each([
    ["other tag values", { team: "b" }, { team: "a" }],
    ["a tag fewer", { team: "a" }, { team: "a", env: "x" }],
    ["a tag more", { team: "a", env: "x" }, { team: "a" }],
    ["no tags where tags are asked", undefined, { team: "a" }],
    ["tags where none are asked", { team: "a" }, undefined],
  ])("writes again when the group has %s", async (_, existing, asked) => {
    const name = `dur-tags-${Math.random().toString(36).slice(2, 8)}`;
    await createGroup(name, "westeurope", existing);
    const outcome = await run(await claimed("resourceGroup.ensure", ensure(name, "westeurope", asked), 2));
    expect(outcome).toMatchObject({ kind: "succeeded", alreadyApplied: false });
    expect(sent("PUT", name)).toBe(2);
    expect(h.emulator.resource(`${GROUPS}/${name}`)).toMatchObject({ tags: asked ?? {} });
  });

  it("writes again when the group is missing or in another location", async () => {
    const missing = await run(await claimed("resourceGroup.ensure", ensure("dur-missing"), 2));
    expect(missing).toMatchObject({ kind: "succeeded", alreadyApplied: false });
    expect([sent("GET", "dur-missing"), sent("PUT", "dur-missing")]).toEqual([1, 1]);
    await createGroup("dur-moved", "northeurope");
    const moved = await run(await claimed("resourceGroup.ensure", ensure("dur-moved"), 2));
    // ARM refuses to move a group; the point is that the PUT was sent, not taken as done.
    expect(moved.kind).not.toBe("succeeded");
    expect(sent("PUT", "dur-moved")).toBe(2);
  });

  it("retries, without writing, when the look itself fails", async () => {
    h.emulator.configure({ faults: { rate: 1, statuses: [500], methods: ["GET"] } });
    const outcome = await run(await claimed("resourceGroup.ensure", ensure("dur-look"), 2));
    expect(outcome).toMatchObject({ kind: "retry", reachedArm: true, error: { status: 500 } });
    expect(sent("PUT", "dur-look")).toBe(0);
  });
});

describe("resourceGroup.delete checks before it deletes again", () => {
  it("takes a group that is gone as deleted and sends no DELETE", async () => {
    const job = await claimed(
      "resourceGroup.delete",
      { subscriptionId: SUBSCRIPTION, resourceGroupName: "dur-gone" },
      2,
    );
    expect(await run(job, resourceGroupDelete)).toEqual({
      kind: "succeeded",
      alreadyApplied: true,
      result: { id: `${GROUPS}/dur-gone`, deleted: true },
    });
    expect([sent("GET", "dur-gone"), sent("DELETE", "dur-gone")]).toEqual([1, 0]);
  });

  it("deletes a group that is still there", async () => {
    await createGroup("dur-still", "westeurope");
    const job = await claimed(
      "resourceGroup.delete",
      { subscriptionId: SUBSCRIPTION, resourceGroupName: "dur-still" },
      2,
    );
    expect(await run(job, resourceGroupDelete)).toMatchObject({ kind: "succeeded", alreadyApplied: false });
    expect(sent("DELETE", "dur-still")).toBe(1);
    expect(h.emulator.resource(`${GROUPS}/dur-still`)).toBeUndefined();
  });

  it("retries, without deleting, when the look itself fails", async () => {
    await createGroup("dur-del-look", "westeurope");
    h.emulator.configure({ faults: { rate: 1, statuses: [503], methods: ["GET"] } });
    const job = await claimed(
      "resourceGroup.delete",
      { subscriptionId: SUBSCRIPTION, resourceGroupName: "dur-del-look" },
      2,
    );
    expect(await run(job, resourceGroupDelete)).toMatchObject({ kind: "retry", error: { status: 503 } });
    expect(sent("DELETE", "dur-del-look")).toBe(0);
  });
});

describe("nothing is answered before its COMMIT", () => {
  /** Makes every COMMIT that inserted a job fail: a deferred foreign key is checked only at COMMIT. */
  function failCommits(): () => void {
    const db = new DatabaseSync(join(h.dataDir, "armbridge.db"));
    db.exec(`CREATE TABLE commit_gate_parent (id TEXT PRIMARY KEY);
      CREATE TABLE commit_gate (parent TEXT REFERENCES commit_gate_parent(id) DEFERRABLE INITIALLY DEFERRED);
      CREATE TRIGGER commit_gate_jobs AFTER INSERT ON jobs BEGIN INSERT INTO commit_gate VALUES ('none'); END;`);
    return () => {
      db.exec("DROP TRIGGER commit_gate_jobs; DROP TABLE commit_gate; DROP TABLE commit_gate_parent;");
      db.close();
    };
  }

  it("answers 503 unavailable, stores no job and sends no write when the COMMIT fails", async () => {
    const restore = failCommits();
    try {
      const res = await ensureViaApi("dur-commit", { "idempotency-key": "c-1" });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        code: "unavailable",
        detail: "the job store is unavailable; nothing was accepted, retry later",
      });
      expect(res.headers.get("retry-after")).toBe("5");
    } finally {
      restore();
    }
    const page = await h.runtime.store.list({ limit: 500 });
    expect(page.jobs.filter((j) => j.scope.endsWith("/dur-commit"))).toEqual([]);
    // The operator's log names the request and the store's error.
    expect(h.logs.find((l) => l.msg === "job store refused the submission")).toMatchObject({
      requestId: expect.any(String),
      err: expect.objectContaining({ message: expect.stringMatching(/FOREIGN KEY/i) }),
    });
    // The same request once the store commits again is a new job, not a replay of a lost one.
    const again = await ensureViaApi("dur-commit", { "idempotency-key": "c-1" });
    expect(again.status).toBe(202);
    expect(((await again.json()) as { replayed?: boolean }).replayed).not.toBe(true);
    expect(sent("PUT", "dur-commit")).toBeLessThanOrEqual(1);
  });
});

function ensure(name: string, location = "westeurope", tags?: Record<string, string>) {
  return { subscriptionId: SUBSCRIPTION, resourceGroupName: name, location, ...(tags ? { tags } : {}) };
}
