import { SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Authenticator, createAuthenticator } from "../../src/callers/authenticate.ts";
import { parseConfig } from "../../src/config/load.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import {
  ADO_ORG,
  ADO_OTHER_ORG,
  azureDevopsClaims,
  bearer,
  entraClaims,
  githubActionsClaims,
  gitlabClaims,
  SERVICE_APPID,
  SERVICE_OID,
  startTestIssuer,
  TENANT,
  type TestIssuer,
} from "../helpers/oidc.ts";

let issuer: TestIssuer;
let authenticate: Authenticator;

const config = (jwks: string) => `
callers:
  - id: gh
    kind: oidc
    preset: github-actions
    audience: api://armbridge
    jwksUrl: ${jwks}
    conditions:
      repository_id: 2002
      ref: { glob: ["refs/heads/main", "refs/heads/release/*"] }
  - id: gh-sub
    kind: oidc
    preset: github-actions
    audience: api://armbridge
    jwksUrl: ${jwks}
    conditions:
      repository_owner_id: "1001"
      sub: "repo:contoso/api:environment:prod"
  - id: gl
    kind: oidc
    preset: gitlab-ci
    audience: api://armbridge
    jwksUrl: ${jwks}
    conditions: { project_id: 20, ref_protected: "true", environment: [production, staging] }
  - id: ado
    kind: oidc
    preset: azure-devops
    organizationId: ${ADO_ORG}
    jwksUrl: ${jwks}
    conditions: { prj_id: 271ef6f7-5998-4b0f-86fb-4b54d9129990, def_id: "17" }
  - id: svc
    kind: oidc
    preset: entra
    tenantId: ${TENANT}
    audience: api://armbridge
    jwksUrl: ${jwks}
    conditions: { oid: ${SERVICE_OID}, roles: Deployer }
`;

const request = (headers: Record<string, string>) => ({
  method: "POST",
  url: "http://armbridge/hooks/x",
  headers: new Headers(headers),
  body: new Uint8Array(),
});

async function check(caller: string, token: string) {
  return authenticate(request(bearer(token)), [caller]);
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  const parsed = parseConfig(config(issuer.jwksUrl), {}, operationNames);
  authenticate = createAuthenticator(parsed.callers, { jwks: { cooldownMs: 0 } });
});
afterAll(async () => {
  await issuer?.close();
});

describe("GitHub Actions tokens", () => {
  it("accepts a token whose claims meet the conditions, with the claims that matter", async () => {
    const result = await check("gh", await issuer.sign(githubActionsClaims()));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.caller).toMatchObject({
      id: "gh",
      kind: "oidc",
      subject: "repo:contoso/web:environment:prod",
      claims: {
        repository: "contoso/web",
        repository_id: "2002",
        ref: "refs/heads/main",
        environment: "prod",
      },
    });
    expect(result.caller.claims).not.toHaveProperty("jti");
  });

  it("accepts a release branch through the glob, and refuses another ref", async () => {
    expect(
      (await check("gh", await issuer.sign(githubActionsClaims({ ref: "refs/heads/release/2.1" })))).ok,
    ).toBe(true);
    for (const ref of ["refs/heads/feature", "refs/heads/release/2.1/x", "refs/tags/v1"]) {
      const result = await check("gh", await issuer.sign(githubActionsClaims({ ref })));
      expect(result).toMatchObject({ ok: false, code: "unauthenticated" });
      if (!result.ok)
        expect(result.reason).toBe("the token's 'ref' claim does not meet the caller's conditions");
    }
  });

  it("refuses another repository, even one that took over the name", async () => {
    const result = await check("gh", await issuer.sign(githubActionsClaims({ repository_id: "9999" })));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain("'repository_id'");
  });

  it("matches both the classic and the immutable subject, and checks the immutable ids", async () => {
    const classic = githubActionsClaims({ sub: "repo:contoso/api:environment:prod", repository_id: "3003" });
    expect((await check("gh-sub", await issuer.sign(classic))).ok).toBe(true);
    const immutable = { ...classic, sub: "repo:contoso@1001/api@3003:environment:prod" };
    const result = await check("gh-sub", await issuer.sign(immutable));
    expect(result.ok && result.caller.subject).toBe("repo:contoso/api:environment:prod");
    const lying = { ...classic, sub: "repo:contoso@1001/api@4004:environment:prod" };
    const refused = await check("gh-sub", await issuer.sign(lying));
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toContain("repository id");
    const otherEnv = { ...classic, sub: "repo:contoso@1001/api@3003:environment:dev" };
    expect((await check("gh-sub", await issuer.sign(otherEnv))).ok).toBe(false);
  });

  it("refuses an expired token, a token not valid yet, a wrong audience and a wrong issuer", async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const cases: [Record<string, unknown>, string][] = [
      [{ iat: past - 300, nbf: past - 300, exp: past }, "the token has expired"],
      [{ nbf: Math.floor(Date.now() / 1000) + 3600 }, "not valid yet"],
      [{ aud: "https://github.com/contoso" }, "'aud' claim is not accepted"],
      [{ iss: "https://token.actions.githubusercontent.com/evil" }, "issuer is not accepted"],
    ];
    for (const [over, reason] of cases) {
      const result = await check("gh", await issuer.sign(githubActionsClaims(over)));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain(reason);
    }
  });

  it("refuses alg none, an HMAC token keyed with the issuer's public key, and an unknown kid", async () => {
    const none = new UnsecuredJWT(githubActionsClaims()).encode();
    const hmac = await new SignJWT(githubActionsClaims())
      .setProtectedHeader({ alg: "HS256", kid: issuer.keys[0]?.kid })
      .sign(new TextEncoder().encode(await issuer.publicPem()));
    const stranger = await issuer.newKey();
    const unknownKid = await issuer.sign(githubActionsClaims(), { key: stranger });
    const forgedKid = await issuer.sign(githubActionsClaims(), { key: stranger, kid: issuer.keys[0]?.kid });
    const expectations: [string, string][] = [
      [none, "not allowed"],
      [hmac, "not allowed"],
      [unknownKid, "no key of the issuer matches"],
      [forgedKid, "signature is invalid"],
    ];
    for (const [token, reason] of expectations) {
      const result = await check("gh", token);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain(reason);
    }
  });

  it("fetches the JWKS again for an unknown kid, so a rotated key is accepted", async () => {
    expect((await check("gh", await issuer.sign(githubActionsClaims()))).ok).toBe(true);
    const before = issuer.fetches;
    await issuer.rotate();
    expect((await check("gh", await issuer.sign(githubActionsClaims()))).ok).toBe(true);
    expect(issuer.fetches).toBe(before + 1);
  });
});

describe("GitLab CI tokens", () => {
  it("accepts a protected production job of the project", async () => {
    const result = await check("gl", await issuer.sign(gitlabClaims()));
    expect(result.ok && result.caller.claims).toMatchObject({
      project_path: "contoso/web",
      project_id: "20",
    });
  });

  it("refuses another project, an unprotected ref and another environment", async () => {
    for (const over of [{ project_id: "21" }, { ref_protected: "false" }, { environment: "review/x" }]) {
      expect((await check("gl", await issuer.sign(gitlabClaims(over)))).ok).toBe(false);
    }
  });
});

describe("Azure DevOps tokens", () => {
  it("accepts the pinned organization's pipeline with the fixed audience", async () => {
    const result = await check("ado", await issuer.sign(azureDevopsClaims()));
    expect(result.ok && result.caller.subject).toBe("p://contoso/web/web-deploy");
  });

  it("refuses another organization signed with the same shared JWKS", async () => {
    const other = await check("ado", await issuer.sign(azureDevopsClaims({ org_id: ADO_OTHER_ORG })));
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.reason).toBe("the token's issuer is not accepted");
    // The pinned issuer with another org_id inside is inconsistent and refused too.
    const mixed = await check("ado", await issuer.sign({ ...azureDevopsClaims(), org_id: ADO_OTHER_ORG }));
    expect(mixed.ok).toBe(false);
    if (!mixed.ok) expect(mixed.reason).toBe("the token's 'org_id' claim is not accepted");
  });

  it("refuses another pipeline of the organization", async () => {
    expect((await check("ado", await issuer.sign(azureDevopsClaims({ def_id: "18" })))).ok).toBe(false);
  });
});

describe("Entra ID tokens", () => {
  it("accepts the service's managed identity in v1 and v2 token shapes", async () => {
    const v1 = await check("svc", await issuer.sign(entraClaims()));
    expect(v1.ok && v1.caller).toMatchObject({
      subject: `entra:${TENANT}/${SERVICE_OID}`,
      claims: { oid: SERVICE_OID, appid: SERVICE_APPID, roles: ["Deployer"] },
    });
    const v2 = entraClaims({
      iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      ver: "2.0",
      azp: SERVICE_APPID,
    });
    expect((await check("svc", await issuer.sign(v2))).ok).toBe(true);
  });

  it("refuses another tenant, another identity and a missing role", async () => {
    const other = "11111111-2222-4333-8444-555555555555";
    const cases = [
      entraClaims({ iss: `https://sts.windows.net/${other}/`, tid: other }),
      entraClaims({ tid: other }),
      entraClaims({ oid: other, sub: other }),
      entraClaims({ roles: ["Reader"] }),
    ];
    for (const claims of cases) expect((await check("svc", await issuer.sign(claims))).ok).toBe(false);
  });
});

describe("issuer outages", () => {
  it("answers unavailable, not unauthenticated, when the JWKS cannot be fetched", async () => {
    const down = parseConfig(
      `callers:
  - { id: gh, kind: oidc, preset: github-actions, audience: api://armbridge, jwksUrl: "http://127.0.0.1:9/jwks", conditions: { repository_id: 2002 } }`,
      {},
      operationNames,
    );
    const result = await createAuthenticator(down.callers, { jwks: { timeoutMs: 2000 } })(
      request(bearer(await issuer.sign(githubActionsClaims()))),
      ["gh"],
    );
    expect(result).toMatchObject({ ok: false, code: "unavailable" });
  });
});
