import { randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/callers/api-key.ts";
import { createAuthenticator } from "../../src/callers/authenticate.ts";
import { parseConfig } from "../../src/config/load.ts";
import { operationNames } from "../../src/operations/catalog.ts";

const STD_SECRET = `whsec_${Buffer.from("standard-webhooks-test-secret-32b").toString("base64")}`;
const STD_NEXT = `whsec_${Buffer.from("the-rotated-in-secret-of-32-bytes").toString("base64")}`;
const API_KEY = "ak_live_3f9c2b7e1d4a8f6c0e5b9a2d7c1f4e8b";
const OLD_KEY = "ak_live_retired_0000000000000000";

const env = { GH_SECRET: "gh-secret", STD_SECRET, STD_NEXT };
const config = parseConfig(
  `
callers:
  - { id: gh, kind: github-webhook, secrets: [{ env: GH_SECRET }] }
  - { id: std, kind: standard-webhook, secrets: [{ env: STD_SECRET }, { env: STD_NEXT }], toleranceSeconds: 300 }
  - id: key
    kind: api-key
    keys:
      - { hash: "${hashApiKey(API_KEY)}" }
      - { hash: "${hashApiKey(OLD_KEY)}", expiresAt: "2020-01-01T00:00:00Z" }
`,
  env,
  operationNames,
);
const authenticate = createAuthenticator(config.callers);
const ALL = ["gh", "std", "key"];

const body = JSON.stringify({
  type: "deploy.requested",
  timestamp: "2026-01-01T00:00:00Z",
  data: { app: "web" },
});
const bytes = (text: string) => new TextEncoder().encode(text);
const request = (headers: Record<string, string>, text = body) => ({
  method: "POST",
  url: "http://armbridge/hooks/x",
  headers: new Headers(headers),
  body: bytes(text),
});

/** Headers exactly as a Standard Webhooks sender makes them, with the reference library. */
function standardHeaders(secret: string, text: string, at = new Date(), id = `msg_${randomUUID()}`) {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, text),
  };
}

describe("Standard Webhooks callers", () => {
  it("accepts a delivery signed by the standardwebhooks library, with either active secret", async () => {
    for (const secret of [STD_SECRET, STD_NEXT]) {
      const headers = standardHeaders(secret, body);
      const result = await authenticate(request(headers), ALL);
      expect(result).toMatchObject({ ok: true, deliveryId: headers["webhook-id"], caller: { id: "std" } });
    }
  });

  it("refuses a changed byte, a stale or future timestamp, and a foreign secret", async () => {
    const headers = standardHeaders(STD_SECRET, body);
    const changed = await authenticate(request(headers, body.replace("web", "wec")), ALL);
    expect(changed).toMatchObject({
      ok: false,
      code: "bad_signature",
      reason: "webhook-signature does not match the body",
    });
    // A minute beyond the 300 s window: a slow machine between signing and checking cannot bring them back in.
    for (const at of [new Date(Date.now() - 360_000), new Date(Date.now() + 360_000)]) {
      const result = await authenticate(request(standardHeaders(STD_SECRET, body, at)), ALL);
      expect(result).toMatchObject({ ok: false, code: "bad_signature" });
      if (!result.ok) expect(result.reason).toContain("outside the 300 s window");
    }
    const foreign = `whsec_${Buffer.from("somebody-else").toString("base64")}`;
    expect((await authenticate(request(standardHeaders(foreign, body)), ALL)).ok).toBe(false);
  });

  it("refuses a byte-identical replay but accepts the sender's re-signed retry of the same webhook-id", async () => {
    const id = `msg_${randomUUID()}`;
    const first = standardHeaders(STD_SECRET, body, new Date(Date.now() - 10_000), id);
    expect((await authenticate(request(first), ALL)).ok).toBe(true);
    const replay = await authenticate(request(first), ALL);
    expect(replay).toMatchObject({ ok: false, code: "bad_signature" });
    if (!replay.ok) expect(replay.reason).toContain("replay");
    const retry = await authenticate(request(standardHeaders(STD_SECRET, body, new Date(), id)), ALL);
    expect(retry).toMatchObject({ ok: true, deliveryId: id });
  });

  it("accepts any one matching signature among several (the sender rotating its secret)", async () => {
    const headers = standardHeaders(STD_SECRET, body);
    const other = new Webhook(`whsec_${Buffer.from("old").toString("base64")}`).sign(
      headers["webhook-id"],
      new Date(Number(headers["webhook-timestamp"]) * 1000),
      body,
    );
    headers["webhook-signature"] = `${other} ${headers["webhook-signature"]}`;
    expect((await authenticate(request(headers), ALL)).ok).toBe(true);
  });
});

describe("GitHub webhook callers through the common authenticator", () => {
  it("accepts @octokit/webhooks-methods signatures and refuses a changed byte", async () => {
    const headers = { "x-hub-signature-256": await sign("gh-secret", body), "x-github-delivery": "d-1" };
    expect(await authenticate(request(headers), ALL)).toMatchObject({
      ok: true,
      deliveryId: "d-1",
      caller: { id: "gh" },
    });
    const changed = await authenticate(request(headers, `${body} `), ALL);
    expect(changed).toMatchObject({ ok: false, code: "bad_signature", attempted: ["gh"] });
  });
});

describe("API key callers", () => {
  it("accepts the key as a bearer token or in X-Api-Key, naming only the hash prefix", async () => {
    const ways: Record<string, string>[] = [{ authorization: `Bearer ${API_KEY}` }, { "x-api-key": API_KEY }];
    for (const headers of ways) {
      const result = await authenticate(request({ ...headers, "idempotency-key": "run-7" }), ALL);
      expect(result).toMatchObject({ ok: true, deliveryId: "run-7", caller: { id: "key", kind: "api-key" } });
      expect(JSON.stringify(result)).not.toContain(API_KEY);
    }
  });

  it("refuses a wrong key and an expired one", async () => {
    const wrong = await authenticate(request({ authorization: `Bearer ${API_KEY}x` }), ALL);
    expect(wrong).toMatchObject({ ok: false, code: "unauthenticated", reason: "the API key is not valid" });
    const expired = await authenticate(request({ authorization: `Bearer ${OLD_KEY}` }), ALL);
    expect(expired).toMatchObject({ ok: false, reason: "the API key has expired" });
  });
});

describe("entry points", () => {
  it("only tries the callers the entry point allows", async () => {
    const result = await authenticate(request({ "x-api-key": API_KEY }), ["gh", "std"]);
    expect(result).toMatchObject({
      ok: false,
      code: "unauthenticated",
      reason: "missing credentials: send X-Hub-Signature-256 or webhook-signature",
      attempted: [],
    });
  });

  it("refuses a config with a malformed hash or a Standard Webhooks secret that is not base64", () => {
    expect(() =>
      parseConfig(
        `callers:
  - { id: k, kind: api-key, keys: [{ hash: "md5:abc" }] }
  - { id: s, kind: standard-webhook, secrets: [{ env: BAD }] }`,
        { BAD: "whsec_not base64!" },
        operationNames,
      ),
    ).toThrow(
      /callers\[0\]\.keys\[0\]\.hash: must be 'sha256:'[\s\S]*callers\[1\]\.secrets\[0\]: must be 'whsec_'/,
    );
  });
});
