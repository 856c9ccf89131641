// Event Grid deliveries end to end: handshakes, Entra ID auth, Event Grid-schema notifications and
// CloudEvents from the SDK, run as jobs against the emulator and attributed to the original actor.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { CloudEvent, emitterFor, HTTP, httpTransport, Mode } from "cloudevents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "../../src/jobs/job.ts";
import {
  ACTOR_OID,
  eventGridDelivery,
  eventGridEvent,
  resourceWriteData,
  validationDelivery,
} from "../helpers/eventgrid.ts";
import { type Harness, HOOK_SECRET, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";
import { bearer, eventGridClaims, startTestIssuer, TENANT, type TestIssuer } from "../helpers/oidc.ts";
import { refusal } from "../helpers/refusal.ts";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const CE_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

let issuer: TestIssuer;
let h: Harness;
let server: ReturnType<typeof serve>;
let url: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  h = await startHarness({
    config: `
callers:
  - id: eventgrid
    kind: eventgrid
    entra: { tenantId: ${TENANT}, audience: api://armbridge-events, role: AzureEventGridSecureWebhookSubscriber, jwksUrl: ${issuer.jwksUrl} }
  - id: apps
    kind: eventgrid
    secret: { header: x-armbridge-secret, values: [{ env: HOOK_SECRET }, { env: HOOK_SECRET_NEXT }] }
sources:
  - { id: azure, schema: eventgrid, callers: [eventgrid] }
  - { id: apps, schema: cloudevents, callers: [apps], webhookAllowedRate: 120 }
grants:
  - { caller: eventgrid, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUBSCRIPTION}/resourceGroups/app-*-shadow"] }
  - { caller: apps, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUBSCRIPTION}/resourceGroups/ce-*"] }
routes:
  - id: shadow
    trigger: { source: azure, events: [Microsoft.Resources.ResourceWriteSuccess] }
    actions:
      - operation: resourceGroup.ensure
        parameters:
          subscriptionId: "${SUBSCRIPTION}"
          resourceGroupName: "{{ event.data.resourceGroup }}-shadow"
          location: westeurope
          tags: { for: "{{ caller.onBehalfOf.name ?? \\"nobody\\" }}", trace: "{{ event.traceparent ?? \\"none\\" }}" }
  - id: ce-groups
    trigger: { source: apps, events: [com.contoso.env.requested] }
    actions:
      - operation: resourceGroup.ensure
        parameters:
          subscriptionId: "${SUBSCRIPTION}"
          resourceGroupName: "ce-{{ event.data.env }}"
          location: westeurope
          tags: { for: "{{ caller.onBehalfOf.id ?? \\"nobody\\" }}", trace: "{{ event.traceparent ?? \\"none\\" }}" }
`,
  });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: h.runtime.app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await h?.close();
  await issuer?.close();
});

const token = async (claims: Record<string, unknown> = {}) =>
  bearer(await issuer.sign(eventGridClaims(claims)));
const secret = { "x-armbridge-secret": HOOK_SECRET };

async function jobsOf(route: string): Promise<Job[]> {
  const page = await h.runtime.store.list({ limit: 500 });
  return page.jobs.filter((j) => j.routeId === route);
}

async function settled(route: string, count: number, timeoutMs = 15_000): Promise<Job[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await jobsOf(route);
    if (jobs.length >= count) return Promise.all(jobs.map((j) => h.waitForJob(j.id)));
    if (Date.now() > until)
      throw new Error(`${jobs.length} of ${count} jobs of ${route} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const group = (name: string) =>
  h.emulator.resource(`/subscriptions/${SUBSCRIPTION}/resourceGroups/${name}`) as {
    tags: Record<string, string>;
  };

describe("the Event Grid validation handshake", () => {
  it("answers the validation code once the delivery authenticated", async () => {
    const res = await h.request(
      "/events/azure",
      validationDelivery("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", await token()),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationResponse: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" });
  });

  it("refuses an unauthenticated or wrongly authenticated handshake without the code", async () => {
    for (const headers of [{}, await token({ appid: "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6" })]) {
      const res = await h.request("/events/azure", validationDelivery("code-that-must-not-echo", headers));
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(text).toContain('"code":"unauthenticated"');
      expect(text).not.toContain("code-that-must-not-echo");
    }
  });
});

describe("Event Grid-schema notifications", () => {
  it("runs a ResourceWriteSuccess as a job on behalf of the user who made the write", async () => {
    const event = eventGridEvent({ data: resourceWriteData("app-one") });
    const res = await h.request(
      "/events/azure",
      eventGridDelivery([event], { headers: { ...(await token()), traceparent: TRACEPARENT } }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ events: 1, jobs: 1, created: 1 });
    const [job] = await settled("shadow", 1);
    expect(job?.state).toBe("succeeded");
    expect(job?.caller).toMatchObject({
      id: "eventgrid",
      kind: "eventgrid",
      onBehalfOf: { id: ACTOR_OID, name: "Alice Example", kind: "entra-principal", source: "data.claims" },
    });
    expect(group("app-one-shadow").tags).toEqual({ for: "Alice Example", trace: TRACEPARENT });
    const audit = await h.runtime.store.queryAudit({ jobId: job?.id as string, limit: 50 });
    expect(audit.records.length).toBeGreaterThan(1);
    for (const record of audit.records) {
      expect(record).toMatchObject({
        callerId: "eventgrid",
        onBehalfOf: `entra-principal:${ACTOR_OID} (Alice Example)`,
      });
    }
    const view = (await (await h.request(`/v1/jobs/${job?.id}`, { headers: await token() })).json()) as {
      caller: { onBehalfOf: unknown };
    };
    expect(view.caller.onBehalfOf).toMatchObject({ id: ACTOR_OID, name: "Alice Example" });
  });

  it("yields each job once from a batch redelivered three times, and answers 200 each time", async () => {
    const events = ["app-a", "app-b", "app-c"].map((g) => eventGridEvent({ data: resourceWriteData(g) }));
    const before = (await jobsOf("shadow")).length;
    for (const deliveryCount of [0, 1, 2]) {
      const res = await h.request(
        "/events/azure",
        eventGridDelivery(events, { deliveryCount, headers: await token() }),
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ events: 3, jobs: 3, created: deliveryCount === 0 ? 3 : 0 });
    }
    const jobs = await settled("shadow", before + 3);
    expect(jobs).toHaveLength(before + 3);
    expect(jobs.every((j) => j.state === "succeeded")).toBe(true);
    for (const g of ["app-a", "app-b", "app-c"]) {
      const writes = h.emulator
        .requests({ method: "PUT" })
        .filter((r) => r.canonicalPath.toLowerCase().endsWith(`/resourcegroups/${g}-shadow`));
      expect(writes).toHaveLength(1);
    }
  });

  it("keeps a batch's good events and holds, dead with the reason, those it cannot render or may not run", async () => {
    const allowed = eventGridEvent({ data: resourceWriteData("app-fine") });
    const unrenderable = eventGridEvent({ data: { ...resourceWriteData("x"), resourceGroup: "../../x" } });
    const outside = eventGridEvent({ data: { ...resourceWriteData("y"), resourceGroup: "prod" } });
    const res = await h.request(
      "/events/azure",
      eventGridDelivery([allowed, unrenderable, outside], { headers: await token() }),
    );
    // 200: every event is stored, as jobs or held; a 4xx would make Event Grid drop the good one too.
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      accepted: number;
      held: number;
      results: { id: string; outcome: string; jobs: string[]; reason?: string }[];
    };
    expect(body).toMatchObject({ events: 3, accepted: 1, held: 2 });
    expect(body.results.map((r) => [r.id, r.outcome])).toEqual([
      [allowed.id, "accepted"],
      [unrenderable.id, "held"],
      [outside.id, "held"],
    ]);
    expect(body.results[1]?.reason).toContain("resourceGroupName");
    expect(body.results[2]?.reason).toContain("prod-shadow");
    const [good, bad, refused] = await Promise.all(
      body.results.map((r) => h.waitForJob(r.jobs[0] as string)),
    );
    expect(good?.state).toBe("succeeded");
    expect(bad).toMatchObject({
      state: "dead",
      operation: "event.route",
      error: { code: "InvalidParameters" },
    });
    expect(refused).toMatchObject({ state: "dead", operation: "event.route", error: { code: "Forbidden" } });
    expect(group("app-fine-shadow")).toBeDefined();
    expect(group("prod-shadow")).toBeUndefined();
    const audit = await h.runtime.store.queryAudit({ jobId: refused?.id as string, kind: "job", limit: 5 });
    expect(audit.records.map((r) => r.outcome)).toEqual(["dead"]);
  });

  it("answers 400 for malformed deliveries and 404 for an unknown source", async () => {
    const headers = await token();
    const send = (body: string, contentType = "application/json") =>
      h.request("/events/azure", {
        method: "POST",
        headers: { ...headers, "content-type": contentType },
        body,
      });
    expect((await send("[{")).status).toBe(400);
    const missing = await send(JSON.stringify([{ ...eventGridEvent(), id: undefined }]));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { detail: string }).detail).toBe(
      "event [0]: event is missing required property 'id'",
    );
    expect((await send("[]")).status).toBe(400);
    expect((await send("hello", "text/plain")).status).toBe(400);
    const ce = HTTP.structured(new CloudEvent({ type: "t", source: "/s", data: {} }));
    expect((await send(ce.body as string, "application/cloudevents+json")).status).toBe(400);
    const unknown = await h.request("/events/nope", eventGridDelivery([eventGridEvent()], { headers }));
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe("unknown_source");
  });
});

describe("CloudEvents deliveries", () => {
  const requested = (env: string, extensions: Record<string, string> = {}) =>
    new CloudEvent({
      type: "com.contoso.env.requested",
      source: "/contoso/portal",
      subject: `envs/${env}`,
      data: { env },
      ...extensions,
    });

  it("accepts the abuse-protection handshake for Event Grid's origin and refuses others", async () => {
    const ok = await h.request("/events/apps", {
      method: "OPTIONS",
      headers: { "webhook-request-origin": "eventgrid.azure.net" },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
    expect(ok.headers.get("webhook-allowed-rate")).toBe("120");
    const other = await h.request("/events/apps", {
      method: "OPTIONS",
      headers: { "webhook-request-origin": "evil.example.com" },
    });
    expect(await refusal(other)).toEqual({ status: 403, code: "forbidden" });
    expect(other.headers.get("webhook-allowed-origin")).toBeNull();
    const eventGridOnly = await h.request("/events/azure", {
      method: "OPTIONS",
      headers: { "webhook-request-origin": "eventgrid.azure.net" },
    });
    expect(await refusal(eventGridOnly)).toEqual({ status: 403, code: "forbidden" });
  });

  it("runs a binary-mode event sent by the SDK's HTTP emitter, continuing its trace", async () => {
    const emit = emitterFor(httpTransport(`${url}/events/apps`), { binding: HTTP, mode: Mode.BINARY });
    const response = (await emit(
      requested("binary", { traceparent: CE_TRACEPARENT, authtype: "user", authid: "bob@contoso.com" }),
      { headers: secret },
    )) as { body: string };
    expect(JSON.parse(response.body)).toMatchObject({ events: 1, jobs: 1, created: 1 });
    const [job] = await settled("ce-groups", 1);
    expect(job?.caller.onBehalfOf).toEqual({ id: "bob@contoso.com", kind: "user", source: "authcontext" });
    expect(group("ce-binary").tags).toEqual({ for: "bob@contoso.com", trace: CE_TRACEPARENT });
  });

  it("runs structured and batch deliveries, and refuses a bad secret", async () => {
    const structured = HTTP.structured(requested("structured"));
    const res = await h.request("/events/apps", {
      method: "POST",
      headers: { ...(structured.headers as Record<string, string>), ...secret },
      body: structured.body as string,
    });
    expect(res.status).toBe(200);
    const batch = [requested("batch-1"), requested("batch-2")];
    const send = (headers: Record<string, string>) =>
      h.request("/events/apps", {
        method: "POST",
        headers: { "content-type": "application/cloudevents-batch+json", ...headers },
        body: JSON.stringify(batch),
      });
    expect(await refusal(await send({ "x-armbridge-secret": "not-the-secret-at-all" }))).toEqual({
      status: 401,
      code: "unauthenticated",
    });
    const ok = await send(secret);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ events: 2, jobs: 2, created: 2 });
    await settled("ce-groups", 4);
    for (const env of ["structured", "batch-1", "batch-2"]) expect(group(`ce-${env}`)).toBeDefined();
  });

  it("never writes a delivery secret or token into the log", async () => {
    const issued = await token();
    const other = eventGridDelivery([eventGridEvent({ eventType: "Contoso.Other" })], { headers: issued });
    expect((await h.request("/events/azure", other)).status).toBe(200);
    const logged = JSON.stringify(h.logs);
    expect(logged).toContain('"sourceId":"azure"');
    expect(logged).not.toContain(HOOK_SECRET);
    expect(logged).not.toContain((issued.authorization as string).slice("Bearer ".length));
  });
});
