// What each signed or keyed caller answers at the edges of its checks: the exact caller it makes, the
// exact reason it refuses with, and where a bound lies. Verifiers are built inside each test, so a
// change to how they are built is seen too (mutation testing, docs/mutation.md).
import { createHmac, randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { apiKeyVerifier, hashApiKey } from "../../src/callers/api-key.ts";
import { createAuthenticator } from "../../src/callers/authenticate.ts";
import { claimMatches, compileCondition } from "../../src/callers/claim-conditions.ts";
import { bearerToken, looksLikeJwt } from "../../src/callers/credentials.ts";
import { githubPayloadClaims, githubWebhookVerifier } from "../../src/callers/github-webhook.ts";
import { ReplayGuard, standardWebhookVerifier } from "../../src/callers/standard-webhook.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { ApiKeyCallerConfig, StandardWebhookCallerConfig } from "../../src/config/schema.ts";
import { Secret } from "../../src/config/secret.ts";
import { operationNames } from "../../src/operations/catalog.ts";

const KEY = "ak_live_7c1f4e8b3f9c2b7e1d4a8f6c0e5b9a2d";
const STD_SECRET = `whsec_${Buffer.from("standard-webhooks-test-secret-32b").toString("base64")}`;
const body = new TextEncoder().encode('{"hello":"world"}');
const request = (headers: Record<string, string>, bytes = body) => ({
  method: "POST",
  url: "http://armbridge/hooks/x",
  headers: new Headers(headers),
  body: bytes,
});
const callers = (yaml: string) =>
  parseConfig(`callers:\n${yaml}`, { GH: "gh-secret", STD: STD_SECRET }, operationNames).callers;

describe("bearer credentials", () => {
  it("takes the token of `Bearer <token>` only, spaces around it allowed", () => {
    const of = (authorization: string) => bearerToken(new Headers({ authorization }));
    expect(of("Bearer abc")).toBe("abc");
    expect(of("bearer   abc  ")).toBe("abc");
    expect(of("xBearer abc")).toBeUndefined();
    expect(of("Bearer abc def")).toBeUndefined();
    expect(of("Bearerabc")).toBeUndefined();
    expect(bearerToken(new Headers())).toBeUndefined();
  });

  it("tells a compact JWS from an opaque key by its whole shape", () => {
    expect(looksLikeJwt("eyJh.eyJz.c2ln")).toBe(true);
    expect(looksLikeJwt("eyJh.eyJz.")).toBe(true);
    expect(looksLikeJwt("!eyJh.eyJz.c2ln")).toBe(false);
    expect(looksLikeJwt("eyJh.eyJz.c2ln!")).toBe(false);
    expect(looksLikeJwt("eyJh.eyJz")).toBe(false);
  });
});

describe("API keys", () => {
  const config = (expiresAt?: string): ApiKeyCallerConfig =>
    ({
      id: "k",
      kind: "api-key",
      keys: [{ hash: hashApiKey(KEY), ...(expiresAt ? { expiresAt } : {}) }],
    }) as ApiKeyCallerConfig;
  const at = Date.parse("2026-06-01T00:00:00Z");

  it("names the caller and only the hash prefix of the key used", async () => {
    const verifier = apiKeyVerifier(config("2026-06-01T00:00:01Z"), () => at);
    expect(await verifier.verify(request({ "x-api-key": KEY, "idempotency-key": "i-1" }))).toEqual({
      ok: true,
      deliveryId: "i-1",
      caller: {
        id: "k",
        kind: "api-key",
        subject: "api-key:k",
        claims: { key: hashApiKey(KEY).slice(0, 19) },
      },
    });
  });

  it("refuses a key from its expiry instant on, saying so", async () => {
    const verifier = apiKeyVerifier(config("2026-06-01T00:00:00Z"), () => at);
    expect(await verifier.verify(request({ "x-api-key": KEY }))).toEqual({
      ok: false,
      reason: "the API key has expired",
    });
  });

  it("does not take a JWT in the Authorization header for an API key", () => {
    const verifier = apiKeyVerifier(config());
    expect(verifier.presents(request({ authorization: "Bearer eyJh.eyJz.c2ln" }))).toBe(false);
    expect(verifier.presents(request({ authorization: `Bearer ${KEY}` }))).toBe(true);
  });
});

describe("GitHub webhooks", () => {
  const verifier = () => githubWebhookVerifier({ id: "gh", secrets: [new Secret("GH", "gh-secret")] });

  it("makes a caller of the delivery headers, and omits those not sent", async () => {
    const signature = await sign("gh-secret", new TextDecoder().decode(body));
    const full = await verifier().verify(
      request({
        "x-hub-signature-256": signature,
        "x-github-delivery": "d-1",
        "x-github-event": "push",
        "x-github-hook-id": "42",
      }),
    );
    expect(full).toEqual({
      ok: true,
      deliveryId: "d-1",
      caller: {
        id: "gh",
        kind: "github-webhook",
        subject: "github-webhook:gh",
        claims: { event: "push", delivery: "d-1", hookId: "42" },
      },
    });
    const bare = await verifier().verify(request({ "x-hub-signature-256": signature }));
    expect(bare).toMatchObject({ ok: true, deliveryId: undefined, caller: { claims: {} } });
  });

  it("refuses a valid signature with anything after it", async () => {
    const signature = await sign("gh-secret", new TextDecoder().decode(body));
    for (const header of [`${signature}zz`, `${signature}00`, signature.replace("sha256=", "sha256=zz")]) {
      expect(await verifier().verify(request({ "x-hub-signature-256": header }))).toEqual({
        ok: false,
        reason: "X-Hub-Signature-256 does not match the body",
      });
    }
  });

  it("takes the repository and sender from the signed payload, only when they have the right types", () => {
    const caller = {
      id: "gh",
      kind: "github-webhook" as const,
      subject: "github-webhook:gh",
      claims: { event: "push" },
    };
    expect(
      githubPayloadClaims(caller, {
        repository: { full_name: "contoso/api", id: 7 },
        sender: { login: "mona" },
      }),
    ).toEqual({
      subject: "repo:contoso/api",
      claims: { event: "push", repository: "contoso/api", repository_id: "7", sender: "mona" },
    });
    expect(
      githubPayloadClaims(caller, { repository: { full_name: 7, id: "7" }, sender: { login: 1 } }),
    ).toEqual({
      subject: "github-webhook:gh",
      claims: { event: "push" },
    });
    expect(githubPayloadClaims(caller, null)).toEqual({
      subject: "github-webhook:gh",
      claims: { event: "push" },
    });
  });
});

describe("Standard Webhooks", () => {
  const config = {
    id: "std",
    kind: "standard-webhook",
    secrets: [new Secret("STD", STD_SECRET)],
    toleranceSeconds: 300,
  } as StandardWebhookCallerConfig;
  const at = new Date("2026-06-01T00:00:00Z");
  const headers = (id: string, when = at) => ({
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(when.getTime() / 1000)),
    "webhook-signature": new Webhook(STD_SECRET).sign(id, when, new TextDecoder().decode(body)),
  });
  const verify = (h: Record<string, string>, nowMs = at.getTime()) =>
    standardWebhookVerifier(config, new ReplayGuard(), () => nowMs).verify(request(h));

  it("makes a caller named by the webhook id", async () => {
    expect(await verify(headers("msg_1"))).toEqual({
      ok: true,
      deliveryId: "msg_1",
      caller: {
        id: "std",
        kind: "standard-webhook",
        subject: "standard-webhook:std",
        claims: { webhook_id: "msg_1" },
      },
    });
  });

  it("takes a webhook id of 256 characters and refuses a longer or missing one", async () => {
    expect(await verify(headers("i".repeat(256)))).toMatchObject({ ok: true });
    const refused = { ok: false, reason: "missing or oversized webhook-id header" };
    expect(await verify(headers("i".repeat(257)))).toEqual(refused);
    const { "webhook-id": _, ...noId } = headers("msg_2");
    expect(await verify(noId)).toEqual(refused);
  });

  it("refuses a timestamp that is not Unix seconds", async () => {
    const good = headers("msg_3");
    for (const timestamp of [
      `x${good["webhook-timestamp"]}`,
      `${good["webhook-timestamp"]}x`,
      "1234567890123",
    ]) {
      expect(await verify({ ...good, "webhook-timestamp": timestamp })).toEqual({
        ok: false,
        reason: "webhook-timestamp must be Unix seconds",
      });
    }
    const { "webhook-timestamp": _, ...none } = good;
    expect(await verify(none)).toMatchObject({ ok: false, reason: "webhook-timestamp must be Unix seconds" });
  });

  it("accepts a timestamp at the edge of the window", async () => {
    expect(await verify(headers("msg_4"), at.getTime() + 300_000)).toMatchObject({ ok: true });
    expect(await verify(headers("msg_5"), at.getTime() + 300_001)).toEqual({
      ok: false,
      reason: "webhook-timestamp is outside the 300 s window",
    });
  });

  it("finds the matching v1 signature among other versions and short ones", async () => {
    const good = headers("msg_6");
    const short = `v1,${Buffer.from("short").toString("base64")}`;
    const signature = `v2,abc ${short} ${good["webhook-signature"]}`;
    expect(await verify({ ...good, "webhook-signature": signature })).toMatchObject({ ok: true });
    const hmac = createHmac("sha256", Buffer.from("standard-webhooks-test-secret-32b"));
    const v2Only = `v2,${hmac.update(`msg_6.${good["webhook-timestamp"]}.`).update(body).digest("base64")}`;
    expect(await verify({ ...good, "webhook-signature": v2Only })).toEqual({
      ok: false,
      reason: "webhook-signature does not match the body",
    });
  });
});

describe("the replay guard", () => {
  it("refuses a key until its expiry, and takes it again from then on", () => {
    const guard = new ReplayGuard();
    expect(guard.remember("a", 0, 10)).toBe(true);
    expect(guard.remember("a", 9, 10)).toBe(false);
    expect(guard.remember("a", 10, 20)).toBe(true);
    expect(guard.remember("a", 19, 20)).toBe(false);
  });

  it("forgets the oldest keys first past 100,000, a key remembered again counting as new", () => {
    const guard = new ReplayGuard();
    guard.remember("renewed", 0, 5);
    for (let i = 1; i < 100_000; i++) guard.remember(`k${i}`, 0, 1000);
    // At the bound nothing is forgotten.
    expect(guard.remember("k1", 1, 1000)).toBe(false);
    expect(guard.remember("renewed", 10, 1000)).toBe(true);
    guard.remember("k100000", 10, 1000);
    // One past it: the oldest (k1) goes, and only it; `renewed` is now among the newest.
    expect(guard.remember("renewed", 10, 1000)).toBe(false);
    expect(guard.remember("k2", 10, 1000)).toBe(false);
    expect(guard.remember("k1", 10, 1000)).toBe(true);
  });
});

describe("the authenticator's refusals", () => {
  it("says when an entry point names no configured caller", async () => {
    const auth = createAuthenticator(callers(`  - { id: gh, kind: github-webhook, secrets: [{ env: GH }] }`));
    expect(await auth(request({ "x-hub-signature-256": "sha256=00" }), ["nobody"])).toEqual({
      ok: false,
      code: "unauthenticated",
      reason: "no caller is configured for this entry point",
      attempted: [],
    });
  });

  it("answers bad_signature only when every tried caller is a signed one, and keeps each reason for the log", async () => {
    const auth = createAuthenticator(
      callers(`  - { id: gh, kind: github-webhook, secrets: [{ env: GH }] }
  - { id: key, kind: api-key, keys: [{ hash: "${hashApiKey(KEY)}" }] }`),
    );
    const both = await auth(request({ "x-hub-signature-256": "sha256=00", "x-api-key": "wrong" }), [
      "gh",
      "key",
    ]);
    expect(both).toEqual({
      ok: false,
      code: "unauthenticated",
      reason: "the credential is not accepted by any caller of this entry point",
      attempted: ["gh", "key"],
      reasons: ["X-Hub-Signature-256 does not match the body", "the API key is not valid"],
    });
    const signed = await auth(request({ "x-hub-signature-256": "sha256=00" }), ["gh", "key"]);
    expect(signed).toEqual({
      ok: false,
      code: "bad_signature",
      reason: "X-Hub-Signature-256 does not match the body",
      attempted: ["gh"],
      reasons: ["X-Hub-Signature-256 does not match the body"],
    });
  });

  it("asks for the credential each kind of caller takes", async () => {
    const auth = createAuthenticator(
      callers(`  - { id: key, kind: api-key, keys: [{ hash: "${hashApiKey(KEY)}" }] }`),
    );
    expect(await auth(request({}), ["key"])).toMatchObject({
      ok: false,
      code: "unauthenticated",
      reason: "missing credentials: send Authorization: Bearer <API key>",
    });
  });

  it("builds a verifier of each kind from the config", async () => {
    const auth = createAuthenticator(
      callers(`  - { id: gh, kind: github-webhook, secrets: [{ env: GH }] }
  - { id: std, kind: standard-webhook, secrets: [{ env: STD }] }`),
    );
    const text = new TextDecoder().decode(body);
    const gh = await auth(request({ "x-hub-signature-256": await sign("gh-secret", text) }), ["gh"]);
    expect(gh).toMatchObject({ ok: true, caller: { id: "gh", kind: "github-webhook" } });
    const id = `msg_${randomUUID()}`;
    const std = await auth(
      request({
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": new Webhook(STD_SECRET).sign(id, new Date(), text),
      }),
      ["std"],
    );
    expect(std).toMatchObject({ ok: true, caller: { id: "std", kind: "standard-webhook" } });
    const forged = await auth(
      request({
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": "v1,x",
      }),
      ["std"],
    );
    expect(forged).toMatchObject({
      ok: false,
      code: "bad_signature",
      reason: "webhook-signature does not match the body",
    });
  });
});

describe("claim conditions", () => {
  it("compares numbers and booleans as strings, and nothing else", () => {
    expect(claimMatches(compileCondition("123"), 123)).toBe(true);
    expect(claimMatches(compileCondition("true"), true)).toBe(true);
    expect(claimMatches(compileCondition("false"), true)).toBe(false);
    expect(claimMatches(compileCondition("[object Object]"), {})).toBe(false);
    expect(claimMatches(compileCondition("null"), null)).toBe(false);
    expect(claimMatches(compileCondition(["a", "b"]), ["c", "b"])).toBe(true);
    expect(claimMatches(compileCondition({ glob: "refs/heads/*" }), "refs/heads/main")).toBe(true);
    expect(claimMatches(compileCondition({ glob: ["x", "refs/tags/*"] }), "refs/heads/main")).toBe(false);
  });
});
