// Event Grid batches at Event Grid's limits, and all-or-nothing acceptance: the app on a real SQLite
// store, with no worker, so every accepted job stays in the store to be counted.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { CloudEvent } from "cloudevents";
import type { Hono } from "hono";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config/load.ts";
import { routeHeldEvent } from "../../src/ingress/held-events.ts";
import type { Job } from "../../src/jobs/job.ts";
import { openSqliteJobStore } from "../../src/jobs/sqlite/store.ts";
import type { JobStore } from "../../src/jobs/store.ts";
import { createJobWaiter } from "../../src/jobs/waiter.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import { noopMetrics } from "../../src/telemetry/metrics.ts";
import { eventGridDelivery, eventGridEvent } from "../helpers/eventgrid.ts";

const SUB = "00000000-0000-0000-0000-000000000001";
const SECRET = "batch-delivery-secret";
const CONFIG = `
callers:
  - { id: eventgrid, kind: eventgrid, secret: { query: code, values: [{ env: EG_SECRET }] } }
sources:
  - { id: azure, schema: both, callers: [eventgrid] }
  - { id: small, schema: eventgrid, callers: [eventgrid], maxEvents: 10, maxBodyBytes: 4096 }
grants:
  - { caller: eventgrid, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUB}/resourceGroups/batch-*"] }
routes:
  - id: ensure
    trigger: { source: azure, events: [Contoso.Env.Requested] }
    actions:
      - operation: resourceGroup.ensure
        parameters: { subscriptionId: "${SUB}", resourceGroupName: "batch-{{ event.data.n }}", location: westeurope }
  - id: pair
    trigger: { source: azure, events: [Contoso.Pair.Requested] }
    actions:
      - id: first
        operation: resourceGroup.ensure
        parameters: { subscriptionId: "${SUB}", resourceGroupName: "batch-{{ event.data.n }}-a", location: westeurope }
      - after: [first]
        operation: resourceGroup.ensure
        parameters: { subscriptionId: "${SUB}", resourceGroupName: "batch-{{ event.data.n }}-b", location: westeurope }
`;

let dir: string;
let store: JobStore;
let failing: "no" | "unavailable" = "no";
let app: Hono;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "armbridge-events-"));
  store = openSqliteJobStore(join(dir, "armbridge.db"));
  // Our own store interface, not Azure: a store that cannot be reached.
  const flaky: JobStore = {
    ...store,
    accept: (drafts) =>
      failing === "unavailable"
        ? Promise.reject(new Error("SQLITE_IOERR: disk I/O error"))
        : store.accept(drafts),
  };
  const config = parseConfig(CONFIG, { EG_SECRET: SECRET }, operationNames);
  app = createApp({ config, store: flaky, waiter: createJobWaiter(store), logger: createLogger("silent") });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  failing = "no";
});

const requestedEvents = (count: number, prefix: string, pad = 0) =>
  Array.from({ length: count }, (_, i) =>
    eventGridEvent({
      id: `${prefix}-${i}`,
      topic: `/subscriptions/${SUB}`,
      subject: `envs/${prefix}-${i}`,
      eventType: "Contoso.Env.Requested",
      data: { n: `${prefix}-${i}`, pad: "x".repeat(pad) },
    }),
  );

/** Padding that makes 5,000 events about 1.35 MB: past 1 MiB, within the default limit of a source. */
const padFor = (bytes: number) =>
  Math.floor(bytes / 5000) - JSON.stringify(requestedEvents(1, "big-9999")[0]).length;

const deliver = (source: string, events: unknown[], init: Partial<RequestInit> = {}) =>
  app.request(`/events/${source}?code=${SECRET}`, { ...eventGridDelivery(events), ...init });

async function jobCount(): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: 500, ...(cursor ? { cursor } : {}) });
    count += page.jobs.length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}

describe("batches at Event Grid's limits", () => {
  it("accepts 5,000 events in more than 1 MB as 5,000 jobs, and a redelivery as none", async () => {
    const events = requestedEvents(5000, "big", padFor(1_350_000));
    const body = JSON.stringify(events);
    expect(body.length).toBeGreaterThan(1024 * 1024);
    expect(body.length).toBeLessThan(1_572_864);
    const before = await jobCount();
    const res = await deliver("azure", events);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ events: 5000, jobs: 5000, created: 5000 });
    expect(await jobCount()).toBe(before + 5000);
    const again = await deliver("azure", events, {
      headers: { "content-type": "application/json", "aeg-delivery-count": "1" },
    });
    expect(await again.json()).toMatchObject({ events: 5000, jobs: 5000, created: 0 });
    expect(await jobCount()).toBe(before + 5000);
  });

  it("accepts a CloudEvents batch of 5,000 from the SDK", async () => {
    const events = Array.from(
      { length: 5000 },
      (_, i) =>
        new CloudEvent({
          type: "Contoso.Env.Requested",
          source: "/contoso/envs",
          id: `ce-${i}`,
          data: { n: `ce-${i}` },
        }),
    );
    const res = await app.request(`/events/azure?code=${SECRET}`, {
      method: "POST",
      headers: { "content-type": "application/cloudevents-batch+json" },
      body: JSON.stringify(events),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ events: 5000, jobs: 5000, created: 5000 });
  });

  it("refuses more events or bytes than the source accepts with 413, storing nothing", async () => {
    const before = await jobCount();
    const tooMany = await deliver("azure", requestedEvents(5001, "many"));
    expect(tooMany.status).toBe(413);
    expect(((await tooMany.json()) as { limitEvents: number }).limitEvents).toBe(5000);
    const overCount = await deliver("small", requestedEvents(11, "s"));
    expect(overCount.status).toBe(413);
    const overBytes = await deliver("small", requestedEvents(2, "b", 3000));
    expect(overBytes.status).toBe(413);
    expect(((await overBytes.json()) as { code: string }).code).toBe("payload_too_large");
    expect(await jobCount()).toBe(before);
  });
});

describe("ordered actions in a batch", () => {
  it("makes each event's later action wait for the same event's earlier one", async () => {
    const events = ["p1", "p2", "p3"].map((n) =>
      eventGridEvent({ id: n, eventType: "Contoso.Pair.Requested", data: { n } }),
    );
    expect((await deliver("azure", events)).status).toBe(200);
    const jobs = (await store.list({ limit: 500 })).jobs.filter((j) => j.routeId === "pair");
    const byGroup = new Map(
      jobs.map((j) => [(j.params as { resourceGroupName: string }).resourceGroupName, j]),
    );
    for (const n of ["p1", "p2", "p3"]) {
      expect(byGroup.get(`batch-${n}-b`)?.after).toEqual([byGroup.get(`batch-${n}-a`)?.id]);
    }
  });
});

describe("a store failure during a batch", () => {
  it("answers 503 with Retry-After and stores none of the batch when the store is unavailable", async () => {
    const events = requestedEvents(200, "down");
    const before = await jobCount();
    failing = "unavailable";
    const res = await deliver("azure", events);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.text()).not.toContain("SQLITE_IOERR");
    expect(await jobCount()).toBe(before);
    failing = "no";
    const retried = await deliver("azure", events, {
      headers: { "content-type": "application/json", "aeg-delivery-count": "1" },
    });
    expect(await retried.json()).toMatchObject({ events: 200, jobs: 200, created: 200 });
  });

  it("rolls back the events already written when the store fails in the middle of the batch", async () => {
    const before = await jobCount();
    // A second connection makes the 51st insert of the next batch fail inside the store's transaction.
    const side = new DatabaseSync(join(dir, "armbridge.db"));
    side.exec(`CREATE TRIGGER fail_mid_batch BEFORE INSERT ON jobs
      WHEN (SELECT count(*) FROM jobs WHERE idempotency_key LIKE '%:mid-%') >= 50
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    try {
      const res = await deliver("azure", requestedEvents(120, "mid"));
      expect(res.status).toBe(503);
      expect(await jobCount()).toBe(before);
    } finally {
      side.exec("DROP TRIGGER fail_mid_batch");
      side.close();
    }
    const retried = await deliver("azure", requestedEvents(120, "mid"));
    expect(await retried.json()).toMatchObject({ events: 120, jobs: 120, created: 120 });
  });
});

describe("a batch with events that cannot run", () => {
  type Answer = {
    events: number;
    jobs: number;
    created: number;
    duplicates: number;
    held: number;
    validation: number;
    results: { id: string; outcome: string; jobs: string[]; reason?: string }[];
  };

  it("accepts the good events, holds the unrenderable one, and replays it once the config is fixed", async () => {
    const events = [
      eventGridEvent({ id: "keep-1", eventType: "Contoso.Env.Requested", data: { n: "keep-1" } }),
      // `data: null`: the route's template reads event.data.n.
      { ...eventGridEvent({ id: "null-1", eventType: "Contoso.Env.Requested" }), data: null },
      eventGridEvent({ id: "keep-2", eventType: "Contoso.Env.Requested", data: { n: "keep-2" } }),
    ];
    const res = await deliver("azure", events);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    expect(answer).toMatchObject({ events: 3, jobs: 3, created: 3, held: 1 });
    expect(answer.results.map((r) => r.outcome)).toEqual(["accepted", "held", "accepted"]);
    const heldId = answer.results[1]?.jobs[0] as string;
    const held = await store.get(heldId);
    expect(held).toMatchObject({ operation: "event.route", state: "accepted" });

    // The same event again (Event Grid's at-least-once) finds the same held job.
    const again = (await (await deliver("azure", [events[1]])).json()) as Answer;
    expect(again).toMatchObject({ created: 0, held: 1, results: [{ jobs: [heldId] }] });

    // Still unrenderable with this config: the worker would end it dead with this reason.
    const logger = createLogger("silent");
    const deps = { store, logger, metrics: noopMetrics(), instanceId: "test", onAccepted: () => {} };
    const config = parseConfig(CONFIG, { EG_SECRET: SECRET }, operationNames);
    expect(await routeHeldEvent(config, deps)(held as Job)).toMatchObject({
      ok: false,
      error: { code: "InvalidParameters" },
    });
    // Fixed: the template has a default; routed again, the event makes its job, once.
    const fixed = parseConfig(
      CONFIG.replace("batch-{{ event.data.n }}", 'batch-{{ event.data.n ?? \\"none\\" }}'),
      { EG_SECRET: SECRET },
      operationNames,
    );
    const routed = await routeHeldEvent(fixed, deps)(held as Job);
    expect(routed).toMatchObject({ ok: true, jobs: [expect.any(String)] });
    const replayed = await routeHeldEvent(fixed, deps)(held as Job);
    expect(replayed).toEqual(routed);
    const job = await store.get((routed as { jobs: string[] }).jobs[0] as string);
    expect(job).toMatchObject({
      operation: "resourceGroup.ensure",
      params: { resourceGroupName: "batch-none" },
    });
  });

  it("counts an id repeated with other data as a duplicate, and a validation event as what it is", async () => {
    const first = eventGridEvent({ id: "rep-1", eventType: "Contoso.Env.Requested", data: { n: "rep-a" } });
    const repeated = { ...first, data: { n: "rep-b" } };
    const validation = {
      ...eventGridEvent({ id: "val-1", eventType: "Microsoft.EventGrid.SubscriptionValidationEvent" }),
      data: { validationCode: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" },
    };
    const answer = (await (await deliver("azure", [first, repeated, validation])).json()) as Answer;
    expect(answer).toMatchObject({ events: 2, jobs: 1, created: 1, duplicates: 1, validation: 1 });
    expect(answer.results.map((r) => [r.id, r.outcome])).toEqual([
      ["rep-1", "accepted"],
      ["rep-1", "duplicate"],
      ["val-1", "validation"],
    ]);
    expect(answer.results[1]?.reason).toContain("other data");
    expect(answer.results[1]?.jobs).toEqual(answer.results[0]?.jobs);
  });
});
