import { UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Authenticator, createAuthenticator } from "../../src/callers/authenticate.ts";
import { eventGridVerifier } from "../../src/callers/eventgrid.ts";
import { KeySets } from "../../src/callers/jwt.ts";
import { ConfigError, parseConfig } from "../../src/config/load.ts";
import type { EventGridCallerConfig } from "../../src/config/schema.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import {
  bearer,
  EVENT_GRID_SP_OID,
  eventGridClaims,
  startTestIssuer,
  TENANT,
  type TestIssuer,
} from "../helpers/oidc.ts";

const SECRET = "first-delivery-secret";
const NEXT = "second-delivery-secret";

let issuer: TestIssuer;
let authenticate: Authenticator;

const config = (jwks: string) => `
callers:
  - id: eg-entra
    kind: eventgrid
    entra: { tenantId: ${TENANT}, audience: api://armbridge-events, role: AzureEventGridSecureWebhookSubscriber, jwksUrl: ${jwks} }
  - id: eg-secret
    kind: eventgrid
    secret: { query: code, values: [{ env: EG_SECRET }, { env: EG_SECRET_NEXT }] }
  - id: eg-both
    kind: eventgrid
    entra: { tenantId: ${TENANT}, audience: [api://armbridge-events], jwksUrl: ${jwks} }
    secret: { header: X-Delivery-Secret, values: [{ env: EG_SECRET }] }
  - id: eg-any
    kind: eventgrid
    require: any
    entra: { tenantId: ${TENANT}, audience: api://armbridge-events, jwksUrl: ${jwks} }
    secret: { header: x-delivery-secret, values: [{ env: EG_SECRET }] }
`;

const request = (headers: Record<string, string>, query = "") => ({
  method: "POST",
  url: `http://armbridge/events/azure${query}`,
  headers: new Headers(headers),
  body: new Uint8Array(),
});

const withToken = async (caller: string, claims: Record<string, unknown> = {}) =>
  authenticate(request(bearer(await issuer.sign(eventGridClaims(claims)))), [caller]);

const reason = (result: Awaited<ReturnType<Authenticator>>) => (result.ok ? "accepted" : result.reason);

beforeAll(async () => {
  issuer = await startTestIssuer();
  const parsed = parseConfig(
    config(issuer.jwksUrl),
    { EG_SECRET: SECRET, EG_SECRET_NEXT: NEXT },
    operationNames,
  );
  authenticate = createAuthenticator(parsed.callers, { jwks: { cooldownMs: 0 } });
});
afterAll(async () => {
  await issuer?.close();
});

describe("Event Grid deliveries with an Entra ID token", () => {
  it("accepts Event Grid's v1 token for the webhook app, attributed to Event Grid's principal", async () => {
    const result = await withToken("eg-entra");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.caller).toMatchObject({
      id: "eg-entra",
      kind: "eventgrid",
      subject: `entra:${TENANT}/${EVENT_GRID_SP_OID}`,
      claims: { appid: "4962773b-9cdb-44cf-a8bf-237846a00ab7", tid: TENANT, credentials: ["entra"] },
    });
  });

  it("accepts a v2 token, which names Event Grid in azp", async () => {
    const v2 = {
      iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      appid: undefined,
      azp: "4962773b-9cdb-44cf-a8bf-237846a00ab7",
      ver: "2.0",
    };
    expect(reason(await withToken("eg-entra", v2))).toBe("accepted");
  });

  it.each([
    ["an expired token", { exp: Math.floor(Date.now() / 1000) - 600 }, "the token has expired"],
    ["another audience", { aud: "api://someone-else" }, "the token's 'aud' claim is not accepted"],
    [
      "another tenant's issuer",
      { iss: "https://sts.windows.net/00000000-0000-0000-0000-00000000beef/" },
      "issuer is not accepted",
    ],
    [
      "another app than Event Grid",
      { appid: "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6" },
      "not issued to Event Grid",
    ],
    ["another tenant in tid", { tid: "00000000-0000-0000-0000-00000000beef" }, "'tid' claim is not accepted"],
    ["no subscriber role", { roles: ["Reader"] }, "lacks the role"],
  ])("refuses %s", async (_name, claims, expected) => {
    const result = await withToken("eg-entra", claims);
    expect(result).toMatchObject({ ok: false, code: "unauthenticated" });
    expect(reason(result)).toContain(expected);
  });

  it("refuses alg none and a token signed by a key the tenant does not publish", async () => {
    const none = new UnsecuredJWT(eventGridClaims()).encode();
    expect(reason(await authenticate(request(bearer(none)), ["eg-entra"]))).toMatch(/algorithm|malformed/);
    const stranger = await issuer.newKey();
    const unknownKid = await issuer.sign(eventGridClaims(), { key: stranger });
    expect(reason(await authenticate(request(bearer(unknownKid)), ["eg-entra"]))).toBe(
      "no key of the issuer matches the token's 'kid'",
    );
    const forged = await issuer.sign(eventGridClaims(), { key: stranger, kid: issuer.keys[0]?.kid });
    expect(reason(await authenticate(request(bearer(forged)), ["eg-entra"]))).toBe(
      "the token's signature is invalid",
    );
  });

  it("picks up a rotated signing key", async () => {
    await issuer.rotate();
    expect(reason(await withToken("eg-entra"))).toBe("accepted");
  });
});

describe("Event Grid deliveries with a secret", () => {
  it("accepts either value of a rotation in the query string and says which one was used", async () => {
    for (const [value, index] of [
      [SECRET, "1"],
      [NEXT, "2"],
    ]) {
      const result = await authenticate(request({}, `?code=${value}`), ["eg-secret"]);
      expect(result.ok && result.caller).toMatchObject({
        subject: "eventgrid:eg-secret",
        claims: { secret: index, credentials: ["secret"] },
      });
    }
  });

  it("refuses a wrong or missing secret without echoing it", async () => {
    const wrong = await authenticate(request({}, "?code=guessed-delivery-secret"), ["eg-secret"]);
    expect(wrong).toMatchObject({
      ok: false,
      code: "unauthenticated",
      reason: "the delivery secret is not valid",
    });
    const missing = await authenticate(request({}), ["eg-secret"]);
    expect(missing).toMatchObject({ ok: false, code: "unauthenticated" });
    expect(reason(missing)).toContain("missing credentials");
  });
});

describe("both credentials", () => {
  const token = async () => bearer(await issuer.sign(eventGridClaims()));

  it("with require: all, needs the token and the secret", async () => {
    const both = await authenticate(request({ ...(await token()), "x-delivery-secret": SECRET }), [
      "eg-both",
    ]);
    expect(both.ok && both.caller.claims.credentials).toEqual(["entra", "secret"]);
    expect(reason(await authenticate(request(await token()), ["eg-both"]))).toBe(
      "missing the delivery secret",
    );
    expect(reason(await authenticate(request({ "x-delivery-secret": SECRET }), ["eg-both"]))).toBe(
      "missing an Entra ID bearer token",
    );
  });

  it("with require: any, takes one, but never a wrong one beside a right one", async () => {
    expect(reason(await authenticate(request({ "x-delivery-secret": SECRET }), ["eg-any"]))).toBe("accepted");
    expect(reason(await authenticate(request(await token()), ["eg-any"]))).toBe("accepted");
    const wrongSecret = request({ ...(await token()), "x-delivery-secret": "guessed-delivery-secret" });
    expect(reason(await authenticate(wrongSecret, ["eg-any"]))).toBe("the delivery secret is not valid");
  });
});

describe("config of eventgrid callers", () => {
  const parse = (caller: string) => () =>
    parseConfig(`callers:\n  - ${caller}\n`, { S: "short", L: "a-long-enough-secret" }, operationNames);

  it.each([
    ["{ id: a, kind: eventgrid }", "callers[0]: set entra, secret or both"],
    [
      "{ id: a, kind: eventgrid, secret: { values: [{ env: L }] } }",
      "callers[0].secret: set exactly one of query, header",
    ],
    [
      "{ id: a, kind: eventgrid, secret: { query: c, values: [{ env: S }] } }",
      "must be at least 16 characters",
    ],
    [
      "{ id: a, kind: eventgrid, secret: { query: c, values: [{ env: L }, { env: L }, { env: L }] } }",
      "callers[0].secret.values",
    ],
  ])("refuses %s", (caller, problem) => {
    try {
      parse(caller)();
      expect.unreachable("the config was accepted");
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join("\n")).toContain(problem);
    }
  });
});

describe("Event Grid's Entra keys", () => {
  it("are fetched from the tenant's discovery URL unless the config names another", async () => {
    // Records which URL the verifier asks for, and serves the test issuer's keys for it (no network).
    const asked: string[] = [];
    class RecordingKeySets extends KeySets {
      override get(url: string) {
        asked.push(url);
        return super.get(issuer.jwksUrl);
      }
    }
    const callers = parseConfig(
      `callers:\n  - { id: eg, kind: eventgrid, entra: { tenantId: ${TENANT.toUpperCase()}, audience: api://armbridge-events } }`,
      {},
      operationNames,
    ).callers;
    const verifier = eventGridVerifier(callers[0] as EventGridCallerConfig, new RecordingKeySets());
    const result = await verifier.verify(request(bearer(await issuer.sign(eventGridClaims()))));
    expect(result).toMatchObject({
      ok: true,
      caller: { id: "eg", subject: `entra:${TENANT}/${EVENT_GRID_SP_OID}` },
    });
    expect(asked).toEqual([`https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`]);
  });

  it("take v1 and v2 tokens of the tenant, and require the secret beside them unless told any", async () => {
    const auth = createAuthenticator(
      parseConfig(
        `callers:
  - { id: all, kind: eventgrid, entra: { tenantId: ${TENANT}, audience: api://armbridge-events, jwksUrl: "${issuer.jwksUrl}" }, secret: { header: x-s, values: [{ env: S }] } }
  - { id: any, kind: eventgrid, require: any, entra: { tenantId: ${TENANT}, audience: api://armbridge-events, jwksUrl: "${issuer.jwksUrl}" }, secret: { header: x-s, values: [{ env: S }] } }`,
        { S: SECRET },
        operationNames,
      ).callers,
      { jwks: { cooldownMs: 0 } },
    );
    expect(await auth(request({}), ["all"])).toMatchObject({
      ok: false,
      code: "unauthenticated",
      reason: "missing credentials: send Authorization: Bearer <Entra ID token> or the delivery secret",
    });
    const v2 = bearer(
      await issuer.sign(eventGridClaims({ iss: `https://login.microsoftonline.com/${TENANT}/v2.0` })),
    );
    expect(await auth(request(v2), ["all"])).toMatchObject({
      ok: false,
      reason: "missing the delivery secret",
    });
    expect(await auth(request(v2), ["any"])).toMatchObject({
      ok: true,
      caller: { claims: { credentials: ["entra"] } },
    });
    expect(await auth(request({ "x-s": SECRET }), ["all"])).toMatchObject({
      ok: false,
      reason: "missing an Entra ID bearer token",
    });
    expect(await auth(request({ ...v2, "x-s": SECRET }), ["all"])).toMatchObject({
      ok: true,
      caller: { claims: { credentials: ["entra", "secret"] } },
    });
  });
});
