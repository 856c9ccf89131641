// Routes through HTTP: filters pick the route, templates fill the parameters, and a hostile payload
// is refused before anything is queued.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { githubDelivery } from "../helpers/github.ts";
import { type Harness, HOOK_SECRET, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";

const RG = `/subscriptions/${SUBSCRIPTION}/resourceGroups`;

const CONFIG = `
callers:
  - { id: ci, kind: github-webhook, secrets: [{ env: HOOK_SECRET }] }
hooks:
  - { id: events, callers: [ci] }
grants:
  - caller: ci
    operations: [resourceGroup.ensure, tags.merge]
    scopes: ["${RG}/app-*"]
routes:
  - id: release-branches-only
    trigger:
      hook: events
      events: [push]
      filter:
        all:
          - { field: event.data.ref, glob: "refs/heads/release/*" }
          - not: { field: event.data.repository.full_name, suffix: "-archive", ignoreCase: true }
    actions:
      - operation: resourceGroup.ensure
        parameters:
          subscriptionId: "${SUBSCRIPTION}"
          resourceGroupName: "app-{{ event.data.repository.name }}"
          location: westeurope
  - id: group-then-tag
    trigger: { hook: events, events: [provision] }
    actions:
      - id: group
        operation: resourceGroup.ensure
        parameters: { subscriptionId: "${SUBSCRIPTION}", resourceGroupName: "{{ event.data.group }}", location: westeurope }
      - after: [group]
        operation: tags.merge
        parameters: { scope: "${RG}/{{ event.data.group }}", tags: { stage: provisioned } }
  - id: tag-what-was-written
    trigger: { hook: events, events: [written] }
    actions:
      - operation: tags.merge
        parameters:
          scope: "{{ event.data.resourceUri }}"
          tags: { writtenBy: "{{ event.data.who ?? \\"unknown\\" }}" }
`;

describe("routes", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: CONFIG });
  });
  afterAll(async () => {
    await h?.close();
  });

  const send = async (event: string, payload: unknown) =>
    h.request("/hooks/events", await githubDelivery(HOOK_SECRET, payload, { event }));
  const jobsFor = async (res: Response) => ((await res.json()) as { jobs: { id: string }[] }).jobs;

  it("runs a route only when its filter holds", async () => {
    const matched = await send("push", {
      ref: "refs/heads/release/1.2",
      repository: { name: "web", full_name: "c/web" },
    });
    expect(matched.status).toBe(202);
    const [job] = await jobsFor(matched);
    expect((await h.waitForJob(job?.id as string)).state).toBe("succeeded");

    for (const payload of [
      { ref: "refs/heads/main", repository: { name: "web", full_name: "c/web" } },
      { ref: "refs/heads/release/1.2/hotfix", repository: { name: "web", full_name: "c/web" } },
      { ref: "refs/heads/release/1.2", repository: { name: "old", full_name: "c/OLD-ARCHIVE" } },
    ]) {
      const res = await send("push", payload);
      expect(res.status).toBe(200);
      expect(await jobsFor(res)).toEqual([]);
    }
  });

  it("fans out to several actions and runs one after another when the route says so", async () => {
    const res = await send("provision", { group: "app-ordered" });
    expect(res.status).toBe(202);
    const jobs = await jobsFor(res);
    expect(jobs).toHaveLength(2);
    const done = await Promise.all(jobs.map((j) => h.waitForJob(j.id)));
    expect(done.map((j) => j.state)).toEqual(["succeeded", "succeeded"]);
    expect(done[1]?.after).toEqual([done[0]?.id]);
    const calls = h.emulator
      .requests()
      .filter((r) => r.canonicalPath.includes("/resourcegroups/app-ordered"));
    const put = calls.findIndex((r) => r.method === "PUT");
    const patch = calls.findIndex((r) => r.method === "PATCH");
    expect(put).toBeGreaterThanOrEqual(0);
    expect(patch).toBeGreaterThan(put);
    expect((h.emulator.resource(`${RG}/app-ordered`) as { tags: unknown }).tags).toMatchObject({
      stage: "provisioned",
    });
  });

  it("tags the resource an event names, with a value from the event", async () => {
    await send("push", {
      ref: "refs/heads/release/1",
      repository: { name: "tagged", full_name: "c/tagged" },
    }).then(async (r) => h.waitForJob((await jobsFor(r))[0]?.id as string));
    const res = await send("written", { resourceUri: `${RG}/app-tagged`, who: "alice@contoso.com" });
    expect(res.status).toBe(202);
    const job = await h.waitForJob((await jobsFor(res))[0]?.id as string);
    expect(job.state).toBe("succeeded");
    expect((h.emulator.resource(`${RG}/app-tagged`) as { tags: unknown }).tags).toMatchObject({
      writtenBy: "alice@contoso.com",
    });
  });

  it.each([
    ["a path escape", `${RG}/app-1/../prod-db`, 400, "'..'"],
    ["an encoded escape", `${RG}/app-1%2F..%2Fprod-db`, 400, "characters"],
    [
      "another subscription",
      `/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/app-1`,
      403,
      "not granted",
    ],
    ["a sibling outside the grant", `${RG}/prod-app`, 403, "not granted"],
    ["a template operator in the value", `${RG}/{{ caller.claims.x }}`, 400, "characters"],
    ["a huge value", `${RG}/app-${"x".repeat(100_000)}`, 400, "1 to 1024"],
  ])("refuses %s in a templated scope before queueing", async (_name, resourceUri, status, reason) => {
    const before = (await h.runtime.store.list({ limit: 500 })).jobs.length;
    const res = await send("written", { resourceUri });
    expect(res.status).toBe(status);
    expect(JSON.stringify(await res.json())).toContain(reason);
    expect((await h.runtime.store.list({ limit: 500 })).jobs.length).toBe(before);
  });
});

describe("route config", () => {
  it("cannot let a template choose the operation", () => {
    const text = `
callers: [{ id: ci, kind: github-webhook, secrets: [{ env: S }] }]
hooks: [{ id: h, callers: [ci] }]
routes:
  - id: r
    trigger: { hook: h }
    actions: [{ operation: "{{ event.data.operation }}" }]
`;
    expect(() => parseConfig(text, { S: "x" }, operationNames)).toThrow(
      /routes\[0\]\.actions\[0\]\.operation: unknown operation/,
    );
  });

  it("refuses an order on an action that does not come earlier", () => {
    const text = `
callers: [{ id: ci, kind: github-webhook, secrets: [{ env: S }] }]
hooks: [{ id: h, callers: [ci] }]
routes:
  - id: r
    trigger: { hook: h }
    actions:
      - { operation: resourceGroup.get, after: [later], parameters: {} }
      - { id: later, operation: resourceGroup.get, parameters: {} }
`;
    expect(() => parseConfig(text, { S: "x" }, operationNames)).toThrow(
      /routes\[0\]\.actions\[0\]\.after\[0\]: no earlier action 'later'/,
    );
  });
});
