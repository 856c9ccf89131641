// Who may read a job, and what a job may hold: job ids travel in logs and traces, so a job is read
// only with its caller's credential or an operator's, and secure deployment outputs are never kept.
import { createHash, createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { armClients, managedIdentity } from "../../packages/azure-emulator/test/helpers/emulator-clients.ts";
import { githubDelivery } from "../helpers/github.ts";
import { type Harness, HOOK_SECRET, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";

const sha = (key: string) => `sha256:${createHash("sha256").update(key).digest("hex")}`;
const ALICE = "alice-key-0123456789abcdef";
const BOB = "bob-key-0123456789abcdef";
const OPERATOR = "operator-key-0123456789abcdef";
const SECRET_OUTPUT = "s3cret-output-value-that-must-not-be-kept";

const CONFIG = `
operators: [{ id: ops, apiKeyHash: "${sha(OPERATOR)}" }]
callers:
  - { id: ci, kind: github-webhook, secrets: [{ env: HOOK_SECRET }] }
  - { id: alice, kind: api-key, keys: [{ hash: "${sha(ALICE)}" }] }
  - { id: bob, kind: api-key, keys: [{ hash: "${sha(BOB)}" }] }
hooks: [{ id: deploy, callers: [ci] }]
grants:
  - { caller: ci, operations: [deployment.create], scopes: ["/subscriptions/${SUBSCRIPTION}/resourceGroups/app-*"] }
  - { caller: alice, operations: [deployment.create], scopes: ["/subscriptions/${SUBSCRIPTION}/resourceGroups/app-*"] }
  - { caller: bob, operations: [resourceGroup.get], scopes: ["/subscriptions/${SUBSCRIPTION}"] }
routes:
  - id: deploy
    trigger: { hook: deploy, events: [push] }
    actions:
      - operation: deployment.create
        parameters:
          subscriptionId: "${SUBSCRIPTION}"
          resourceGroupName: app-jobs
          deploymentName: "{{ event.data.name }}"
          template: "{{ event.data.template }}"
`;

/** No resources, three outputs: one plain, two secure. */
const template = {
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  resources: [],
  outputs: {
    plain: { type: "string", value: "visible" },
    // Computed, as a key read from a resource would be: the template's own text never holds it.
    secret: {
      type: "securestring",
      value: `[concat('${SECRET_OUTPUT.slice(0, 10)}', '${SECRET_OUTPUT.slice(10)}')]`,
    },
    bundle: {
      type: "secureObject",
      value: { password: `[concat('${SECRET_OUTPUT.slice(0, 10)}', '${SECRET_OUTPUT.slice(10)}')]` },
    },
  },
};

type View = { id: string; state: string; result: { outputs?: Record<string, unknown> } | null };

describe("job reads and job contents", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: CONFIG });
    const { resources } = armClients(h.emulator, managedIdentity(h.emulator));
    await resources.resourceGroups.createOrUpdate("app-jobs", { location: "westeurope" });
  });
  afterAll(async () => {
    await h?.close();
  });

  const deployAs = async (key: string, name: string) => {
    const res = await h.request("/v1/operations/deployment.create", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", prefer: "wait=20" },
      body: JSON.stringify({
        subscriptionId: SUBSCRIPTION,
        resourceGroupName: "app-jobs",
        deploymentName: name,
        template,
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { jobs: View[] }).jobs[0] as View;
  };
  const read = (id: string, headers: Record<string, string> = {}) => h.request(`/v1/jobs/${id}`, { headers });

  it("answers a job only to the caller that made it or an operator", async () => {
    const job = await deployAs(ALICE, "alice-1");
    expect(job.state).toBe("succeeded");

    const anonymous = await read(job.id);
    expect(anonymous.status).toBe(401);
    const anonymousText = await anonymous.text();
    expect(anonymousText).not.toContain("visible");
    // Nothing about how the job's caller authenticates is told to someone without its credential.
    expect(anonymousText).not.toMatch(/alice|Bearer <API key>|X-Api-Key/i);

    const otherCaller = await read(job.id, { authorization: `Bearer ${BOB}` });
    expect(otherCaller.status).toBe(401);
    expect(await otherCaller.json()).toMatchObject({
      code: "unauthenticated",
      detail: "send the credential of the caller that made this job, or an operator's API key",
    });
    expect((await read(job.id, { authorization: "Bearer not-a-key-at-all" })).status).toBe(401);

    for (const key of [ALICE, OPERATOR]) {
      const res = await read(job.id, { authorization: `Bearer ${key}` });
      expect(res.status).toBe(200);
      expect(((await res.json()) as View).result?.outputs).toEqual({ plain: "visible" });
    }
  });

  it("never stores, returns or logs a secureString or secureObject output", async () => {
    const job = await deployAs(ALICE, "alice-2");
    expect(job.result?.outputs).toEqual({ plain: "visible" });
    const stored = await h.runtime.store.get(job.id);
    expect(JSON.stringify(stored)).not.toContain(SECRET_OUTPUT);
    const res = await read(job.id, { authorization: `Bearer ${ALICE}` });
    expect(await res.text()).not.toContain(SECRET_OUTPUT);
    expect(JSON.stringify(h.logs)).not.toContain(SECRET_OUTPUT);
    // Neither name nor value of a secure output is kept: ARM withholds the value, armbridge drops the entry.
    expect(stored?.result).toEqual(expect.objectContaining({ outputs: { plain: "visible" } }));
  });

  it("gives a signed webhook its result through Prefer: wait, and no GET with a replayable signature", async () => {
    const delivery = await githubDelivery(HOOK_SECRET, { name: "hook-1", template });
    const res = await h.request("/hooks/deploy", {
      ...delivery,
      headers: { ...(delivery.headers as Record<string, string>), prefer: "wait=20" },
    });
    expect(res.status).toBe(200);
    const job = ((await res.json()) as { jobs: View[] }).jobs[0] as View;
    expect(job).toMatchObject({ state: "succeeded", result: { outputs: { plain: "visible" } } });
    // A signature over the empty body of a GET would be the same forever: it is not accepted.
    const emptyBodySignature = `sha256=${createHmac("sha256", HOOK_SECRET).update("").digest("hex")}`;
    const signed = await read(job.id, {
      "x-hub-signature-256": emptyBodySignature,
      "x-github-event": "push",
    });
    expect(signed.status).toBe(401);
    expect(await signed.text()).not.toContain("visible");
  });
});
