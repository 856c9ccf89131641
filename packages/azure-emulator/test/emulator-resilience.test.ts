// Front-door behaviour of the emulator: token checks, IMDS answers, throttling, injected faults, control API.
import { randomUUID } from "node:crypto";
import { type Emulator, startEmulator } from "@armbridge/azure-emulator";
import type { ResourceManagementClient } from "@azure/arm-resources";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { armClients, armRequest, imdsToken, managedIdentity } from "./helpers/emulator-clients.ts";

let emulator: Emulator;
let arm: ResourceManagementClient;
let sub: string;
let token: string;

async function tokenFor(e: Emulator, resource = "https://management.azure.com/"): Promise<string> {
  const res = await imdsToken(e, resource);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

beforeAll(async () => {
  emulator = await startEmulator({ lro: { durationMs: 20 } });
  sub = emulator.subscriptions[0] ?? "";
  ({ resources: arm } = armClients(emulator, managedIdentity(emulator)));
  token = await tokenFor(emulator);
});

afterAll(async () => {
  await emulator?.stop();
});

describe("IMDS", () => {
  it("answers like IMDS, with string numbers and a signed token carrying the identity's claims", async () => {
    const res = await imdsToken(emulator, "https://management.azure.com");
    const body = (await res.json()) as Record<string, string>;
    expect(body).toMatchObject({
      resource: "https://management.azure.com",
      token_type: "Bearer",
      expires_in: "3600",
    });
    expect(typeof body.expires_on).toBe("string");
    const claims = JSON.parse(
      Buffer.from((body.access_token ?? "").split(".")[1] ?? "", "base64url").toString(),
    );
    const identity = emulator.identities[0];
    expect(claims).toMatchObject({
      aud: "https://management.azure.com",
      iss: `https://sts.windows.net/${emulator.tenantId}/`,
      tid: emulator.tenantId,
      oid: identity?.principalId,
      appid: identity?.clientId,
      idtyp: "app",
    });
  });

  it("refuses requests without the Metadata header and unknown identities", async () => {
    const noHeader = await fetch(
      `${emulator.imdsUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x`,
    );
    expect(noHeader.status).toBe(400);
    expect(await noHeader.json()).toMatchObject({ error: "invalid_request" });
    const unknown = await imdsToken(emulator, "https://management.azure.com/", `&client_id=${randomUUID()}`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({
      error: "invalid_request",
      error_description: "Identity not found",
    });
  });

  it("can be made unavailable and back", async () => {
    emulator.configure({ imdsAvailable: false });
    expect((await imdsToken(emulator, "https://management.azure.com/")).status).toBe(503);
    emulator.configure({ imdsAvailable: true });
    expect((await imdsToken(emulator, "https://management.azure.com/")).status).toBe(200);
  });
});

describe("ARM authentication", () => {
  const rgPath = () => `/subscriptions/${sub}/resourcegroups?api-version=2025-04-01`;

  it("asks for a bearer token with an ARM-style challenge", async () => {
    const res = await armRequest(emulator, "GET", rgPath());
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: "AuthenticationFailed" } });
    expect(res.headers["www-authenticate"]).toContain(
      `authorization_uri="https://login.windows.net/${emulator.tenantId}"`,
    );
    expect(res.headers["x-ms-request-id"]).toBeTruthy();
  });

  it("refuses a token for another audience", async () => {
    const graphToken = await tokenFor(emulator, "https://graph.microsoft.com");
    const res = await armRequest(emulator, "GET", rgPath(), { token: graphToken });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: "InvalidAuthenticationTokenAudience" } });
  });

  it("refuses an expired token and a token signed by someone else", async () => {
    const shortLived = await startEmulator({ tokenLifetimeSeconds: 0 });
    try {
      const expired = await tokenFor(shortLived);
      const res = await armRequest(
        shortLived,
        "GET",
        `/subscriptions/${sub}/resourcegroups?api-version=2025-04-01`,
        {
          token: expired,
        },
      );
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: "ExpiredAuthenticationToken" } });
      const foreign = await armRequest(emulator, "GET", rgPath(), { token: expired });
      expect(foreign.status).toBe(401);
      expect(foreign.body).toMatchObject({ error: { code: "InvalidAuthenticationToken" } });
    } finally {
      await shortLived.stop();
    }
  });

  it("requires an api-version", async () => {
    const res = await armRequest(emulator, "GET", `/subscriptions/${sub}/resourcegroups`, { token });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "MissingApiVersionParameter" } });
  });

  it("echoes the correlation id and reports the remaining reads", async () => {
    const correlationId = randomUUID();
    const res = await armRequest(emulator, "GET", rgPath(), {
      token,
      headers: { "x-ms-correlation-request-id": correlationId },
    });
    expect(res.status).toBe(200);
    expect(res.headers["x-ms-correlation-request-id"]).toBe(correlationId);
    expect(Number(res.headers["x-ms-ratelimit-remaining-subscription-reads"])).toBeGreaterThan(0);
    expect(res.headers["x-ms-routing-request-id"]).toBeTruthy();
  });
});

describe("throttling", () => {
  afterAll(() =>
    emulator.configure({
      throttle: {
        reads: { burst: 250, perSecond: 25 },
        writes: { burst: 200, perSecond: 10 },
        deletes: { burst: 200, perSecond: 10 },
      },
    }),
  );

  it("answers 429 with Retry-After when the bucket is empty, and the SDK retries through it", async () => {
    emulator.configure({
      throttle: {
        reads: { burst: 2, perSecond: 4 },
        writes: { burst: 50, perSecond: 50 },
        deletes: { burst: 50, perSecond: 50 },
      },
    });
    await arm.resourceGroups.createOrUpdate("rg-throttle", { location: "westus" });
    const path = `/subscriptions/${sub}/resourcegroups/rg-throttle?api-version=2025-04-01`;
    const statuses: number[] = [];
    let retryAfter: string | string[] | undefined;
    for (let i = 0; i < 3; i++) {
      const res = await armRequest(emulator, "GET", path, { token });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers["retry-after"];
        expect(res.body).toMatchObject({ error: { code: "SubscriptionRequestsThrottled" } });
        expect(res.headers["x-ms-ratelimit-remaining-subscription-reads"]).toBe("0");
      }
    }
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // The SDK rides the throttle out: whatever it was refused (429) is counted, then one 200 ends it.
    const throttledBefore = emulator.stats().throttled;
    const prefix = `/subscriptions/${sub}/resourcegroups/rg-throttle`;
    const seenBefore = emulator.requests({ pathPrefix: prefix }).length;
    const rg = await arm.resourceGroups.get("rg-throttle");
    expect(rg.name).toBe("rg-throttle");
    const sdkRequests = emulator.requests({ pathPrefix: prefix }).slice(seenBefore);
    expect(sdkRequests.map((r) => r.status)).toEqual([...sdkRequests.slice(1).map(() => 429), 200]);
    expect(emulator.stats().throttled - throttledBefore).toBe(sdkRequests.length - 1);
  });
});

describe("fault injection", () => {
  afterAll(() => emulator.configure({ faults: undefined }));

  it("records injected status faults and the SDK retries past them", async () => {
    emulator.configure({ faults: { rate: 0.5, statuses: [503], seed: 7, methods: ["GET"] } });
    await arm.resourceGroups.createOrUpdate("rg-faults", { location: "westus" });
    for (let i = 0; i < 4; i++) await arm.resourceGroups.get("rg-faults");
    const faulted = emulator
      .requests({ pathPrefix: `/subscriptions/${sub}/resourcegroups/rg-faults` })
      .filter((r) => r.fault);
    expect(faulted.length).toBeGreaterThan(0);
    expect(faulted.every((r) => r.fault === "status" && r.status === 503)).toBe(true);
    expect(emulator.stats().faulted).toBeGreaterThanOrEqual(faulted.length);
  });

  it("applies the write before answering a fault in phase 'after'", async () => {
    emulator.configure({ faults: { rate: 1, statuses: [500], phase: "after", methods: ["PUT"] } });
    const res = await armRequest(
      emulator,
      "PUT",
      `/subscriptions/${sub}/resourcegroups/rg-lost?api-version=2025-04-01`,
      {
        token,
        body: { location: "westus" },
      },
    );
    emulator.configure({ faults: undefined });
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: { code: "InternalServerError" } });
    expect(emulator.resource(`/subscriptions/${sub}/resourceGroups/RG-LOST`)).toMatchObject({
      name: "rg-lost",
    });
    expect(emulator.stats().effects[`PUT /subscriptions/${sub}/resourcegroups/rg-lost`]).toBe(1);
  });

  it("hangs a request for the configured time, then answers 504", async () => {
    emulator.configure({ faults: { rate: 0, timeoutRate: 1, timeoutMs: 150 } });
    const started = Date.now();
    const res = await armRequest(
      emulator,
      "GET",
      `/subscriptions/${sub}/resourcegroups?api-version=2025-04-01`,
      { token },
    );
    emulator.configure({ faults: undefined });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(504);
    const last = emulator.requests().at(-1);
    expect(last).toMatchObject({ fault: "timeout", status: 504 });
  });

  it("releases a hanging request as soon as the client disconnects", async () => {
    emulator.configure({ faults: { rate: 0, timeoutRate: 1, timeoutMs: 60_000 } });
    const path = `/subscriptions/${sub}/resourcegroups?api-version=2025-04-01&hang=${randomUUID()}`;
    const aborted = await armRequest(emulator, "GET", path, { token, signal: AbortSignal.timeout(100) }).then(
      () => "answered",
      (e: Error) => e.name,
    );
    emulator.configure({ faults: undefined });
    expect(aborted).toBe("AbortError");
    // The emulator closes the record when the client's disconnect reaches it (bounded wait).
    for (let i = 0; i < 200 && !emulator.requests().some((r) => r.path === path && r.status === 499); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const hung = emulator.requests().find((r) => r.path === path);
    expect(hung).toMatchObject({ fault: "timeout", status: 499 });
  });
});

describe("control API", () => {
  it("serves stats, requests, configure, reset and the CA over HTTPS", async () => {
    const ca = await armRequest(emulator, "GET", "/_emulator/ca.pem");
    expect(ca.text).toBe(emulator.caCertPem);
    const configured = await armRequest(emulator, "POST", "/_emulator/configure", { body: { latencyMs: 1 } });
    expect(configured.status).toBe(200);
    const stats = await armRequest(emulator, "GET", "/_emulator/stats");
    expect((stats.body as { armRequests: number }).armRequests).toBeGreaterThan(0);
    const requests = await armRequest(emulator, "GET", "/_emulator/requests?method=PUT");
    expect((requests.body as { method: string }[]).every((r) => r.method === "PUT")).toBe(true);
    expect((await armRequest(emulator, "POST", "/_emulator/reset")).status).toBe(204);
    expect(emulator.stats()).toMatchObject({ armRequests: 0, imdsTokenRequests: 0, effects: {} });
    expect(emulator.resource(`/subscriptions/${sub}/resourceGroups/rg-lost`)).toBeUndefined();
    emulator.configure({ latencyMs: 0 });
  });
});
