// What a refused token learns, which issuers an OIDC caller accepts, and how long a token may live.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthenticator } from "../../src/callers/authenticate.ts";
import { ConfigError, parseConfig } from "../../src/config/load.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import {
  bearer,
  entraClaims,
  githubActionsClaims,
  SERVICE_OID,
  startTestIssuer,
  TENANT,
  type TestIssuer,
} from "../helpers/oidc.ts";

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

const request = (token: string) => ({
  method: "POST",
  url: "http://armbridge/hooks/x",
  headers: new Headers(bearer(token)),
  body: new Uint8Array(),
});

function authenticator(callers: string) {
  const parsed = parseConfig(`callers:\n${callers}`, {}, operationNames);
  const authenticate = createAuthenticator(parsed.callers, { jwks: { cooldownMs: 0 } });
  return (token: string, allowed = parsed.callers.map((c) => c.id)) => authenticate(request(token), allowed);
}

const now = () => Math.floor(Date.now() / 1000);

describe("a refused token's message", () => {
  it("names what failed for this request, never how the other callers of the entry point are pinned", async () => {
    const auth = authenticator(`
  - { id: by-sub, kind: oidc, preset: github-actions, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { repository_owner_id: "1001", sub: "repo:contoso/api:environment:prod" } }
  - { id: by-repo, kind: oidc, preset: github-actions, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { repository_id: "9999" } }
`);
    const result = await auth(await issuer.sign(githubActionsClaims()));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe("the credential is not accepted by any caller of this entry point");
    expect(result.reason).not.toMatch(/sub|repository/);
    // The operator still learns each caller's reason from the log.
    expect(result.reasons).toHaveLength(2);

    // A failure of the token itself is the same for every caller, and is said as it is.
    const expired = await auth(
      await issuer.sign(githubActionsClaims({ iat: now() - 900, exp: now() - 600 })),
    );
    expect(!expired.ok && expired.reason).toBe("the token has expired");
    // One caller tried: the reason is about this credential against that caller.
    const single = await auth(await issuer.sign(githubActionsClaims()), ["by-repo"]);
    expect(!single.ok && single.reason).toContain("'repository_id'");
  });
});

describe("OIDC issuers", () => {
  const entra = (extra: string) =>
    `  - { id: svc, kind: oidc, preset: entra, tenantId: ${TENANT}, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { oid: ${SERVICE_OID} }${extra} }`;

  it("keeps an Entra v1 issuer's trailing slash, so another cloud's v1 tokens are accepted", async () => {
    const china = `https://sts.chinacloudapi.cn/${TENANT}/`;
    const auth = authenticator(entra(`, issuer: "${china}"`));
    expect((await auth(await issuer.sign(entraClaims({ iss: china })))).ok).toBe(true);
    // Exactly that issuer: the public cloud's, or the same without its slash, is not it.
    expect((await auth(await issuer.sign(entraClaims()))).ok).toBe(false);
    expect((await auth(await issuer.sign(entraClaims({ iss: china.slice(0, -1) })))).ok).toBe(false);
  });

  it("takes a list of issuers, accepts each of them and nothing else", async () => {
    const v1 = `https://sts.chinacloudapi.cn/${TENANT}/`;
    const v2 = `https://login.chinacloudapi.cn/${TENANT}/v2.0`;
    const auth = authenticator(entra(`, issuers: ["${v1}", "${v2}"]`));
    expect((await auth(await issuer.sign(entraClaims({ iss: v1 })))).ok).toBe(true);
    expect((await auth(await issuer.sign(entraClaims({ iss: v2, ver: "2.0" })))).ok).toBe(true);
    const other = await auth(await issuer.sign(entraClaims()));
    expect(!other.ok && other.reason).toBe("the token's issuer is not accepted");
  });

  it("refuses issuer and issuers together", () => {
    expect(() =>
      authenticator(entra(`, issuer: "https://a.example/", issuers: ["https://b.example/"]`)),
    ).toThrow(ConfigError);
  });
});

describe("maxTokenLifetimeSeconds", () => {
  const auth = () =>
    authenticator(
      `  - { id: gh, kind: oidc, preset: github-actions, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { repository_id: "2002" }, maxTokenLifetimeSeconds: 600, clockSkewSeconds: 0 }`,
    );

  it("accepts a short-lived token and refuses one issued for longer than the maximum", async () => {
    expect((await auth()(await issuer.sign(githubActionsClaims({ iat: now(), exp: now() + 300 })))).ok).toBe(
      true,
    );
    const long = await auth()(await issuer.sign(githubActionsClaims({ iat: now(), exp: now() + 3600 })));
    expect(!long.ok && long.reason).toBe("the token's lifetime is longer than this caller accepts");
  });

  it("refuses a token issued longer ago than the maximum, though it has not expired", async () => {
    const old = await auth()(
      await issuer.sign(githubActionsClaims({ iat: now() - 700, exp: now() - 700 + 600 + 60 })),
    );
    expect(old.ok).toBe(false);
    const without = authenticator(
      `  - { id: gh, kind: oidc, preset: github-actions, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { repository_id: "2002" } }`,
    );
    expect(
      (await without(await issuer.sign(githubActionsClaims({ iat: now(), exp: now() + 3600 })))).ok,
    ).toBe(true);
  });
});
