// Idempotency keys belong to the caller that sent them: a second caller that reuses another's
// Idempotency-Key, GitHub delivery id or Event Grid event id gets its own job, never the first
// caller's (which would hand it another caller's job, its result and its links).
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "../../src/jobs/job.ts";
import { eventGridDelivery, eventGridEvent } from "../helpers/eventgrid.ts";
import { githubDelivery } from "../helpers/github.ts";
import { type Harness, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";

const hash = (key: string) => `sha256:${createHash("sha256").update(key).digest("hex")}`;
const KEYS = { alice: "alice-api-key-0001", bob: "bob-api-key-0002" };
const HOOK_SECRETS = { "gh-a": "hook-secret-a", "gh-b": "hook-secret-b" };
const EVENT_SECRETS = { "eg-a": "event-delivery-secret-a", "eg-b": "event-delivery-secret-b" };
const GROUPS = `/subscriptions/${SUBSCRIPTION}/resourceGroups`;

const CONFIG = `
callers:
  - { id: alice, kind: api-key, keys: [{ hash: "${hash(KEYS.alice)}" }] }
  - { id: bob, kind: api-key, keys: [{ hash: "${hash(KEYS.bob)}" }] }
  - { id: gh-a, kind: github-webhook, secrets: [{ env: GH_A }] }
  - { id: gh-b, kind: github-webhook, secrets: [{ env: GH_B }] }
  - { id: eg-a, kind: eventgrid, secret: { header: x-a-secret, values: [{ env: EG_A }] } }
  - { id: eg-b, kind: eventgrid, secret: { header: x-b-secret, values: [{ env: EG_B }] } }
hooks:
  - { id: deploy, callers: [gh-a, gh-b] }
sources:
  - { id: writes, schema: eventgrid, callers: [eg-a, eg-b] }
grants:
  - caller: alice
    operations: [resourceGroup.ensure]
    scopes: ["${GROUPS}/idem-*"]
  - caller: bob
    operations: [resourceGroup.ensure]
    scopes: ["${GROUPS}/idem-*"]
  - { caller: gh-a, operations: [resourceGroup.ensure], scopes: ["${GROUPS}/idem-*"] }
  - { caller: gh-b, operations: [resourceGroup.ensure], scopes: ["${GROUPS}/idem-*"] }
  - { caller: eg-a, operations: [resourceGroup.ensure], scopes: ["${GROUPS}/idem-*"] }
  - { caller: eg-b, operations: [resourceGroup.ensure], scopes: ["${GROUPS}/idem-*"] }
routes:
  - id: hook-group
    trigger: { hook: deploy, events: [push] }
    actions:
      - operation: resourceGroup.ensure
        parameters: { subscriptionId: "${SUBSCRIPTION}", resourceGroupName: "idem-hook", location: westeurope }
  - id: event-group
    trigger: { source: writes, events: [Microsoft.Resources.ResourceWriteSuccess] }
    actions:
      - operation: resourceGroup.ensure
        parameters: { subscriptionId: "${SUBSCRIPTION}", resourceGroupName: "idem-event", location: westeurope }
`;

interface Accepted {
  jobs: { id: string }[];
  replayed?: boolean;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: CONFIG,
    env: {
      GH_A: HOOK_SECRETS["gh-a"],
      GH_B: HOOK_SECRETS["gh-b"],
      EG_A: EVENT_SECRETS["eg-a"],
      EG_B: EVENT_SECRETS["eg-b"],
    },
  });
});
afterAll(async () => {
  await h?.close();
});

async function jobOf(id: string | undefined): Promise<Job> {
  const job = id ? await h.runtime.store.get(id) : undefined;
  if (!job) throw new Error(`no job ${id}`);
  return job;
}

describe("idempotency keys are scoped by caller", () => {
  it("gives a second caller with the same Idempotency-Key its own job", async () => {
    const send = (caller: keyof typeof KEYS) =>
      h.request("/v1/operations/resourceGroup.ensure", {
        method: "POST",
        headers: {
          authorization: `Bearer ${KEYS[caller]}`,
          "content-type": "application/json",
          "idempotency-key": "shared-key",
        },
        body: JSON.stringify({
          subscriptionId: SUBSCRIPTION,
          resourceGroupName: "idem-api",
          location: "westeurope",
        }),
      });
    const first = (await (await send("alice")).json()) as Accepted;
    const second = await send("bob");
    expect(second.status).toBe(202);
    const body = (await second.json()) as Accepted;
    expect(body.replayed).not.toBe(true);
    expect(body.jobs[0]?.id).not.toBe(first.jobs[0]?.id);
    expect((await jobOf(first.jobs[0]?.id)).caller.id).toBe("alice");
    expect((await jobOf(body.jobs[0]?.id)).caller.id).toBe("bob");
    // Each caller's own repeat is still its own job again.
    const again = (await (await send("bob")).json()) as Accepted;
    expect(again).toMatchObject({ replayed: true, jobs: [{ id: body.jobs[0]?.id }] });
  });

  it("gives a second webhook caller with the same delivery id its own job", async () => {
    const send = async (caller: keyof typeof HOOK_SECRETS) =>
      h.request(
        "/hooks/deploy",
        await githubDelivery(HOOK_SECRETS[caller], { ref: "x" }, { delivery: "d-1" }),
      );
    const first = (await (await send("gh-a")).json()) as Accepted;
    const second = (await (await send("gh-b")).json()) as Accepted;
    expect(second.jobs).toHaveLength(1);
    expect(second.jobs[0]?.id).not.toBe(first.jobs[0]?.id);
    expect((await jobOf(second.jobs[0]?.id)).caller.id).toBe("gh-b");
    expect((await jobOf(first.jobs[0]?.id)).caller.id).toBe("gh-a");
    // The same caller's redelivery is the job it already made.
    const again = (await (await send("gh-b")).json()) as Accepted;
    expect(again).toMatchObject({ jobs: [{ id: second.jobs[0]?.id }] });
  });

  it("gives a second Event Grid caller with the same event id its own job", async () => {
    const event = eventGridEvent({ id: "event-1" });
    const send = (header: string, secret: string) =>
      h.request("/events/writes", eventGridDelivery([event], { headers: { [header]: secret } }));
    const first = await send("x-a-secret", EVENT_SECRETS["eg-a"]);
    expect(await first.json()).toMatchObject({ events: 1, jobs: 1, created: 1 });
    const second = await send("x-b-secret", EVENT_SECRETS["eg-b"]);
    expect(await second.json()).toMatchObject({ events: 1, jobs: 1, created: 1 });
    const redelivered = await send("x-b-secret", EVENT_SECRETS["eg-b"]);
    expect(await redelivered.json()).toMatchObject({ events: 1, jobs: 1, created: 0 });
    const page = await h.runtime.store.list({ limit: 100 });
    const callers = page.jobs.filter((j) => j.routeId === "event-group").map((j) => j.caller.id);
    expect(callers.sort()).toEqual(["eg-a", "eg-b"]);
  });
});
