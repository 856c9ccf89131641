// The contract test: every operation of openapi.yaml is called on the running service (against the
// emulator), for its success and for each documented error that can be provoked, and every answer must
// be one the document declares: its status, media type, required headers and schema.
import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { armClients, managedIdentity } from "../../packages/azure-emulator/test/helpers/emulator-clients.ts";
import type { Job } from "../../src/jobs/job.ts";
import { catalog } from "../../src/operations/catalog.ts";
import { githubDelivery } from "../helpers/github.ts";
import { type Harness, HOOK_SECRET, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";
import { type DocumentedOperation, loadContract } from "../helpers/openapi.ts";

const KEYS = { service: "service-key-0001", stranger: "stranger-key-0001", limited: "limited-key-0001" };
const OPERATOR_KEY = "operator-key-0001";
const sha = (key: string) => createHash("sha256").update(key).digest("hex");
const BODY_LIMIT = 65_536;

const CONFIG = `
server: { bodyLimitBytes: ${BODY_LIMIT} }
callers:
  - { id: ci, kind: github-webhook, secrets: [{ env: HOOK_SECRET }] }
  - { id: service, kind: api-key, keys: [{ hash: "sha256:${sha(KEYS.service)}" }] }
  - { id: stranger, kind: api-key, keys: [{ hash: "sha256:${sha(KEYS.stranger)}" }] }
  - id: limited
    kind: api-key
    keys: [{ hash: "sha256:${sha(KEYS.limited)}" }]
    rateLimit: { perSecond: 0.001, burst: 1 }
  - { id: apps, kind: eventgrid, secret: { header: x-armbridge-secret, values: [{ env: HOOK_SECRET }] } }
sources:
  - { id: apps, schema: both, callers: [apps], maxEvents: 5 }
  - { id: limited, schema: cloudevents, callers: [limited] }
hooks:
  - { id: deploy, callers: [ci] }
  - { id: limited, callers: [limited] }
grants:
  - { caller: ci, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUBSCRIPTION}/resourceGroups/app-*"] }
  - { caller: service, operations: ["*"], actions: [start], scopes: ["/subscriptions/${SUBSCRIPTION}"] }
  - { caller: limited, operations: ["*"], actions: [start], scopes: ["/subscriptions/${SUBSCRIPTION}"] }
  - { caller: apps, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUBSCRIPTION}/resourceGroups/ce-ok-*"] }
routes:
  - id: ce-groups
    trigger: { source: apps, events: [com.contoso.env.requested] }
    actions:
      - operation: resourceGroup.ensure
        parameters: { subscriptionId: "${SUBSCRIPTION}", resourceGroupName: "ce-{{ event.data.env }}", location: westeurope }
  - id: push-ensures-group
    trigger: { hook: deploy, events: [push] }
    actions:
      - operation: resourceGroup.ensure
        parameters: { subscriptionId: "${SUBSCRIPTION}", resourceGroupName: "{{ event.data.group }}", location: westeurope }
operators: [{ id: ops, apiKeyHash: "${sha(OPERATOR_KEY)}" }]
`;

// What no request can provoke from outside: an internal error, and the store or an OIDC issuer being down.
const UNPROVOKED: Record<string, string> = {
  "500": "an internal error is a bug",
  "503": "the job store or an OIDC issuer's keys being unreachable",
};

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe("the OpenAPI contract", () => {
  const contract = loadContract();
  let h: Harness;
  const provoked = new Set<string>();
  const failures: string[] = [];

  /** Sends one request for a documented operation and records whether the answer is documented. */
  async function check(operationId: string, path: string, init?: RequestInit): Promise<Response> {
    const op = contract.operations.find((o) => o.operationId === operationId) as DocumentedOperation;
    expect(op, `no operation ${operationId} in openapi.yaml`).toBeDefined();
    expect(init?.method ?? "GET").toBe(op.method.toUpperCase());
    const res = await h.request(path, init);
    const problem = await contract.violation(op, res.clone());
    if (problem)
      failures.push(`${operationId} ${init?.method ?? "GET"} ${path} -> ${res.status}: ${problem}`);
    provoked.add(`${operationId} ${res.status}`);
    return res;
  }

  beforeAll(async () => {
    h = await startHarness({ config: CONFIG });
  });
  /** The examples deploy into app-web (and app-other): what-if looks at them before a job is accepted. */
  let groups: Promise<unknown> | undefined;
  const ensureGroups = () => {
    const { resources } = armClients(h.emulator, managedIdentity(h.emulator));
    groups ??= Promise.all(
      ["app-web", "app-other"].map((g) =>
        resources.resourceGroups.createOrUpdate(g, { location: "westeurope" }),
      ),
    );
    return groups;
  };
  afterAll(async () => {
    await h?.close();
  });

  it("answers health and readiness as documented, ready or not", async () => {
    // IMDS refusing outright (400: no such identity) fails the token check at once, without retries.
    h.emulator.configure({ imdsAvailable: false, imdsStatus: 400 });
    expect((await check("getReadiness", "/readyz")).status).toBe(503);
    h.emulator.configure({ imdsAvailable: true });
    expect((await check("getReadiness", "/readyz")).status).toBe(200);
    await check("getHealth", "/healthz");
  });

  it.each(catalog.map((op) => [op.name, op]))("answers %s as documented", async (name, op) => {
    const path = `/v1/operations/${name}`;
    const id = `run${name
      .split(".")
      .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
      .join("")}`;
    const key = { "idempotency-key": `contract-${name}` };
    const service = bearer(KEYS.service);
    if (name.startsWith("deployment.")) await ensureGroups();
    const first = await check(id, path, json(op.example, { ...service, ...key }));
    expect(first.status, await first.clone().text()).toBe(202);
    expect((await check(id, path, json(op.example, { ...service, ...key }))).status).toBe(200);
    // Every example names the group app-web; another group is another request under the same key.
    const other = JSON.stringify(op.example).replaceAll("app-web", "app-other");
    expect((await check(id, path, json(other, { ...service, ...key }))).status).toBe(409);
    expect((await check(id, path, json("{", service))).status).toBe(400);
    expect((await check(id, path, json({ unexpected: true }, service))).status).toBe(400);
    expect((await check(id, path, json(op.example))).status).toBe(401);
    expect((await check(id, path, json(op.example, bearer(KEYS.stranger)))).status).toBe(403);
    expect((await check(id, path, json({ pad: "x".repeat(BODY_LIMIT) }, service))).status).toBe(413);
    const text = { ...json(op.example, service), headers: { ...service, "content-type": "text/plain" } };
    expect((await check(id, path, text)).status).toBe(415);
    await check(id, path, json(op.example, bearer(KEYS.limited)));
    expect((await check(id, path, json(op.example, bearer(KEYS.limited)))).status).toBe(429);
  });

  it("answers webhook deliveries as documented", async () => {
    const delivery = randomUUID();
    const push = await githubDelivery(HOOK_SECRET, { group: "app-hooked" }, { delivery });
    expect((await check("deliverHook", "/hooks/deploy", push)).status).toBe(202);
    expect((await check("deliverHook", "/hooks/deploy", push)).status).toBe(200);
    const outside = await githubDelivery(HOOK_SECRET, { group: "prod-web" });
    expect((await check("deliverHook", "/hooks/deploy", outside)).status).toBe(403);
    const broken = await githubDelivery(HOOK_SECRET, null, { body: "{" });
    expect((await check("deliverHook", "/hooks/deploy", broken)).status).toBe(400);
    const forged = await githubDelivery("another-secret", { group: "app-x" });
    expect((await check("deliverHook", "/hooks/deploy", forged)).status).toBe(401);
    expect((await check("deliverHook", "/hooks/nowhere", push)).status).toBe(404);
    const big = await githubDelivery(HOOK_SECRET, { pad: "x".repeat(BODY_LIMIT) });
    expect((await check("deliverHook", "/hooks/deploy", big)).status).toBe(413);
    const plain = await githubDelivery(HOOK_SECRET, { group: "app-x" });
    const headers = { ...(plain.headers as Record<string, string>), "content-type": "text/plain" };
    expect((await check("deliverHook", "/hooks/deploy", { ...plain, headers })).status).toBe(415);
    const limited = json({ type: "push" }, bearer(KEYS.limited));
    expect((await check("deliverHook", "/hooks/limited", limited)).status).toBe(429);
  });

  it("answers Event Grid and CloudEvents deliveries and handshakes as documented", async () => {
    const secret = { "x-armbridge-secret": HOOK_SECRET };
    const cloudEvent = (env: string) => ({
      specversion: "1.0",
      id: randomUUID(),
      source: "/contoso/envs",
      type: "com.contoso.env.requested",
      data: { env },
    });
    const deliver = (body: unknown, headers: Record<string, string>, source = "apps") =>
      check("deliverEvents", `/events/${source}`, {
        method: "POST",
        headers: { "content-type": "application/cloudevents+json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    expect((await deliver(cloudEvent("ok-contract"), secret)).status).toBe(200);
    const validation = [
      {
        id: randomUUID(),
        topic: "/subscriptions/x",
        subject: "",
        eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
        eventTime: new Date().toISOString(),
        data: { validationCode: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" },
        dataVersion: "2",
        metadataVersion: "1",
      },
    ];
    const handshake = {
      ...secret,
      "content-type": "application/json",
      "aeg-event-type": "SubscriptionValidation",
    };
    const validated = await deliver(validation, handshake);
    expect(await validated.json()).toEqual({ validationResponse: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" });
    expect((await deliver("[1", secret)).status).toBe(400);
    expect((await deliver(cloudEvent("ok-x"), { "x-armbridge-secret": "wrong" })).status).toBe(401);
    // An event outside the grant is held (dead with the reason), not a refusal of the delivery.
    const outside = await deliver(cloudEvent("prod"), secret);
    expect(outside.status).toBe(200);
    expect(await outside.json()).toMatchObject({ held: 1 });
    expect((await deliver(cloudEvent("ok-x"), secret, "nowhere")).status).toBe(404);
    const batch = Array.from({ length: 6 }, () => cloudEvent("ok-batch"));
    const tooMany = await deliver(batch, { ...secret, "content-type": "application/cloudevents-batch+json" });
    expect(tooMany.status).toBe(413);
    expect((await deliver(cloudEvent("ok-x"), bearer(KEYS.limited), "limited")).status).toBe(429);

    const options = (source: string, headers: Record<string, string>) =>
      check("eventsHandshake", `/events/${source}`, { method: "OPTIONS", headers });
    const origin = { "webhook-request-origin": "eventgrid.azure.net" };
    expect((await options("apps", origin)).status).toBe(200);
    expect((await options("apps", {})).status).toBe(400);
    expect((await options("apps", { "webhook-request-origin": "evil.example" })).status).toBe(403);
    expect((await options("nowhere", origin)).status).toBe(404);
  });

  it("answers whoami, job status and the operator endpoints as documented", async () => {
    expect((await check("whoami", "/v1/whoami", { headers: bearer(KEYS.service) })).status).toBe(200);
    expect((await check("whoami", "/v1/whoami")).status).toBe(401);
    expect((await check("whoami", "/v1/whoami", { headers: bearer(KEYS.limited) })).status).toBe(429);

    const made = await h.request("/v1/operations/resourceGroup.get", {
      ...json({ subscriptionId: SUBSCRIPTION, resourceGroupName: "app-web" }, bearer(KEYS.service)),
    });
    const job = ((await made.json()) as { jobs: Job[] }).jobs[0] as Job;
    const waited = await check("getJob", `/v1/jobs/${job.id}`, {
      headers: { prefer: "wait=10", ...bearer(KEYS.service) },
    });
    expect(waited.status).toBe(200);
    expect((await check("getJob", `/v1/jobs/${job.id}`)).status).toBe(401);
    expect(
      (await check("getJob", `/v1/jobs/${randomUUID()}`, { headers: bearer(KEYS.service) })).status,
    ).toBe(404);
    // The rate-limited caller's own job: reading it counts against the caller's limit too.
    const { jobs: limitedJobs } = await h.runtime.store.accept([
      {
        idempotencyKey: undefined,
        requestId: "limited-read",
        caller: { id: "limited", kind: "api-key", subject: "api-key:limited", claims: {} },
        routeId: "api",
        actionIndex: 0,
        operation: job.operation,
        params: {},
        scope: job.scope,
      },
    ]);
    const limitedRead = { headers: bearer(KEYS.limited) };
    expect((await check("getJob", `/v1/jobs/${limitedJobs[0]?.id}`, limitedRead)).status).toBe(429);

    const operator = { headers: bearer(OPERATOR_KEY) };
    expect((await check("listJobs", "/v1/jobs?limit=2", operator)).status).toBe(200);
    expect((await check("listJobs", "/v1/jobs?limit=0", operator)).status).toBe(400);
    expect((await check("listJobs", "/v1/jobs")).status).toBe(401);
    const audit = `/v1/audit?correlationId=${job.correlationId}`;
    expect((await check("listAudit", audit, operator)).status).toBe(200);
    expect((await check("listAudit", "/v1/audit?decision=maybe", operator)).status).toBe(400);
    expect((await check("listAudit", audit)).status).toBe(401);

    const retry = (id: string, init: RequestInit = operator) =>
      check("retryJob", `/v1/jobs/${id}/retry`, { ...init, method: "POST" });
    expect((await retry(job.id)).status).toBe(409);
    expect((await retry(randomUUID())).status).toBe(404);
    expect((await retry(job.id, {})).status).toBe(401);
    const dead = await h.runtime.store.get(job.id);
    await h.runtime.store.finish(
      job.id,
      "dead",
      { error: { code: "Http503", message: "gave up" } },
      {
        time: new Date().toISOString(),
        requestId: "contract",
        callerId: "service",
        operation: job.operation,
        scope: job.scope,
        kind: "job",
        outcome: "dead",
        jobId: job.id,
        correlationId: dead?.correlationId ?? job.correlationId,
      },
    );
    expect((await retry(job.id)).status).toBe(202);
  });

  it("serves its own contract and documentation page as documented", async () => {
    for (const [id, path] of [
      ["getOpenApiJson", "/openapi.json"],
      ["getOpenApiYaml", "/openapi.yaml"],
      ["getDocsPage", "/docs"],
    ] as const) {
      expect((await check(id, path)).status).toBe(200);
    }
  });

  it("found every answer documented, and provoked every documented answer that can be", () => {
    expect(failures).toEqual([]);
    const missing = contract.operations.flatMap((op) =>
      Object.keys(op.responses)
        .filter((status) => !provoked.has(`${op.operationId} ${status}`) && !UNPROVOKED[status])
        .map((status) => `${op.operationId} ${status}`),
    );
    expect(missing).toEqual([]);
    // Every operation of the document was called, including those added after this test was written.
    for (const op of contract.operations)
      expect(provoked, op.operationId).toSatisfy((s: Set<string>) =>
        [...s].some((k) => k.startsWith(`${op.operationId} `)),
      );
  });
});
