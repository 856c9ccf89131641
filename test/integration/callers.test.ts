// Callers end to end through the HTTP app: whoami, hooks with every caller kind, rate limits, decision logs.
// No worker runs here, so nothing reaches ARM; jobs are only accepted (hooks.test.ts covers execution).
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { sign } from "@octokit/webhooks-methods";
import type { Hono } from "hono";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { hashApiKey } from "../../src/callers/api-key.ts";
import { parseConfig } from "../../src/config/load.ts";
import { openSqliteJobStore } from "../../src/jobs/sqlite/store.ts";
import type { JobStore } from "../../src/jobs/store.ts";
import { createJobWaiter } from "../../src/jobs/waiter.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import { bearer, githubActionsClaims, startTestIssuer, type TestIssuer } from "../helpers/oidc.ts";

const SUB = "00000000-0000-0000-0000-000000000001";
const API_KEY = "ak_test_5b0e7c1f9a2d4e6b8c3a1f0e9d7c5b3a";
const STD_SECRET = `whsec_${Buffer.from("integration-standard-webhooks-key").toString("base64")}`;
const GH_SECRET = "integration-github-secret";

const config = (jwks: string) => `
callers:
  - { id: gh-hook, kind: github-webhook, secrets: [{ env: GH_SECRET }] }
  - { id: partner, kind: standard-webhook, secrets: [{ env: STD_SECRET }] }
  - { id: script, kind: api-key, keys: [{ hash: "${hashApiKey(API_KEY)}" }], rateLimit: { perSecond: 0.001, burst: 3 } }
  - id: actions
    kind: oidc
    preset: github-actions
    audience: api://armbridge
    jwksUrl: ${jwks}
    conditions: { repository_id: "2002", ref: refs/heads/main }
hooks:
  - { id: deploy, callers: [gh-hook, partner, actions] }
grants:
  - { caller: actions, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUB}/resourceGroups/app-*"] }
  - { caller: partner, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUB}/resourceGroups/partner-*"] }
  - { caller: gh-hook, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUB}/resourceGroups/gh-*"] }
  - { caller: script, operations: ["*"], actions: [start], scopes: ["/subscriptions/${SUB}/resourceGroups/script"] }
routes:
  - id: ensure
    trigger: { hook: deploy, events: [push, deploy.requested] }
    actions:
      - operation: resourceGroup.ensure
        parameters:
          subscriptionId: "${SUB}"
          resourceGroupName: "{{ event.data.group }}"
          location: westeurope
          tags: { by: "{{ caller.id }}", repo: "{{ caller.claims.repository ?? \\"-\\" }}" }
`;

let issuer: TestIssuer;
let app: Hono;
let store: JobStore;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  issuer = await startTestIssuer();
  const parsed = parseConfig(config(issuer.jwksUrl), { GH_SECRET, STD_SECRET }, operationNames);
  store = openSqliteJobStore(":memory:");
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  app = createApp({
    config: parsed,
    store,
    waiter: createJobWaiter(store),
    logger: createLogger("info", sink),
  });
});
afterAll(async () => {
  await store?.close();
  await issuer?.close();
});

const json = (res: Response) => res.json() as Promise<Record<string, unknown>>;

function standardDelivery(payload: unknown, id = `msg_${randomUUID()}`, at = new Date()): RequestInit {
  const body = JSON.stringify(payload);
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(STD_SECRET).sign(id, at, body),
    },
    body,
  };
}

describe("GET /v1/whoami", () => {
  it("tells an API key caller who it is and only its own grants", async () => {
    const res = await app.request("/v1/whoami", { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toEqual({
      id: "script",
      kind: "api-key",
      subject: "api-key:script",
      claims: { key: hashApiKey(API_KEY).slice(0, 19) },
      grants: [
        {
          operations: operationNames,
          actions: ["start"],
          scopes: [`/subscriptions/${SUB}/resourceGroups/script`],
        },
      ],
    });
    expect(JSON.stringify(body)).not.toContain(API_KEY);
  });

  it("shows a GitHub Actions caller its verified claims", async () => {
    const res = await app.request("/v1/whoami", {
      headers: bearer(await issuer.sign(githubActionsClaims())),
    });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      id: "actions",
      kind: "oidc",
      subject: "repo:contoso/web:environment:prod",
      claims: {
        repository: "contoso/web",
        repository_id: "2002",
        iss: "https://token.actions.githubusercontent.com",
      },
      grants: [
        { operations: ["resourceGroup.ensure"], scopes: [`/subscriptions/${SUB}/resourceGroups/app-*`] },
      ],
    });
  });

  it("answers 401 problems for no credentials and for a token of another repository", async () => {
    const none = await app.request("/v1/whoami");
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toBe("application/problem+json");
    expect(await json(none)).toMatchObject({
      code: "unauthenticated",
      detail: expect.stringContaining("missing credentials"),
    });
    const other = await app.request("/v1/whoami", {
      headers: bearer(await issuer.sign(githubActionsClaims({ repository_id: "666" }))),
    });
    expect(other.status).toBe(401);
    expect(await json(other)).toMatchObject({
      code: "unauthenticated",
      detail: "the token's 'repository_id' claim does not meet the caller's conditions",
    });
  });

  it("answers 429 rate_limited with Retry-After once the caller's burst is spent", async () => {
    const call = () => app.request("/v1/whoami", { headers: { "x-api-key": API_KEY } });
    let res = await call();
    for (let i = 0; i < 5 && res.status === 200; i++) res = await call();
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await json(res)).toMatchObject({
      code: "rate_limited",
      detail: "caller 'script' is over its rate limit",
    });
    // Other callers are not affected by this caller's limit.
    const other = await app.request("/v1/whoami", {
      headers: bearer(await issuer.sign(githubActionsClaims())),
    });
    expect(other.status).toBe(200);
  });
});

describe("POST /hooks/{hookId} with each caller kind", () => {
  it("accepts a GitHub Actions token, types the event from the body, and attributes the job", async () => {
    const res = await app.request("/hooks/deploy", {
      method: "POST",
      headers: { ...bearer(await issuer.sign(githubActionsClaims())), "content-type": "application/json" },
      body: JSON.stringify({ type: "deploy.requested", data: {}, group: "app-oidc" }),
    });
    expect(res.status).toBe(202);
    const job = ((await json(res)).jobs as { id: string }[])[0];
    const stored = await store.get(job?.id as string);
    expect(stored?.caller).toMatchObject({
      id: "actions",
      kind: "oidc",
      subject: "repo:contoso/web:environment:prod",
    });
    expect(stored?.params).toMatchObject({ tags: { by: "actions", repo: "contoso/web" } });
  });

  it("keys Standard Webhooks jobs on webhook-id: a re-signed retry gets the same job, a replay is refused", async () => {
    const id = `msg_${randomUUID()}`;
    const payload = { type: "deploy.requested", timestamp: new Date().toISOString(), group: "partner-a" };
    const first = standardDelivery(payload, id, new Date(Date.now() - 5000));
    const res = await app.request("/hooks/deploy", first);
    expect(res.status).toBe(202);
    const job = ((await json(res)).jobs as { id: string }[])[0];

    const retry = await app.request("/hooks/deploy", standardDelivery(payload, id));
    expect(retry.status).toBe(200);
    expect(await json(retry)).toMatchObject({ replayed: true, jobs: [{ id: job?.id }] });

    const replay = await app.request("/hooks/deploy", first);
    expect(replay.status).toBe(401);
    expect(await json(replay)).toMatchObject({
      code: "bad_signature",
      detail: expect.stringContaining("replay"),
    });
  });

  it("never answers one caller's delivery id with another caller's job", async () => {
    const delivery = randomUUID();
    const body = JSON.stringify({ group: "gh-shared", ref: "refs/heads/main" });
    const gh = await app.request("/hooks/deploy", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": delivery,
        "x-hub-signature-256": await sign(GH_SECRET, body),
      },
      body,
    });
    expect(gh.status).toBe(202);
    const std = await app.request(
      "/hooks/deploy",
      standardDelivery({ type: "deploy.requested", group: "partner-shared" }, delivery),
    );
    expect(std.status).toBe(202);
    const [a, b] = [await json(gh), await json(std)].map((r) => (r.jobs as { id: string }[])[0]?.id);
    expect(a).not.toBe(b);
  });

  it("refuses a body without a type, a caller the hook does not allow, and a grant it lacks", async () => {
    const untyped = await app.request("/hooks/deploy", standardDelivery({ group: "partner-b" }));
    expect(untyped.status).toBe(400);
    expect((await json(untyped)).detail).toContain("'type'");

    const notAllowed = await app.request("/hooks/deploy", {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "deploy.requested", group: "script" }),
    });
    expect(notAllowed.status).toBe(401);
    expect((await json(notAllowed)).detail).toBe(
      "missing credentials: send X-Hub-Signature-256 or webhook-signature or Authorization: Bearer <OIDC token>",
    );

    const outside = await app.request(
      "/hooks/deploy",
      standardDelivery({ type: "deploy.requested", group: "app-x" }),
    );
    expect(outside.status).toBe(403);
    expect((await json(outside)).detail).toBe(
      `caller 'partner' is not granted operation 'resourceGroup.ensure' on scope '/subscriptions/${SUB}/resourceGroups/app-x'`,
    );
  });

  it("logs every authentication decision with the request id and the attempted caller, and no secrets", async () => {
    const decisions = logs.filter((l) => l.msg === "policy decision");
    const refused = decisions.filter((l) => l.stage === "authenticate" && l.decision === "deny");
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const line of refused)
      expect(line).toMatchObject({ requestId: expect.any(String), reason: expect.any(String) });
    expect(refused.some((l) => JSON.stringify(l.attemptedCallers) === '["actions"]')).toBe(true);
    // An allowed caller is named on its request's access line.
    expect(logs.some((l) => l.msg === "request" && l.callerId === "partner")).toBe(true);
    expect(decisions.some((l) => l.stage === "rate-limit" && l.callerId === "script")).toBe(true);
    const text = JSON.stringify(logs);
    for (const secret of [API_KEY, STD_SECRET, GH_SECRET, "eyJ"]) expect(text).not.toContain(secret);
  });
});
