// Why a bearer JWT is refused, exactly, and what an accepted one makes of its claims: the reasons a
// sender reads, which of them are worth a retry, and how each OIDC preset finds its issuer's keys.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAuthenticator } from "../../src/callers/authenticate.ts";
import { KeySets, verifyJwt } from "../../src/callers/jwt.ts";
import { resolveIssuer } from "../../src/callers/oidc-presets.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { OidcCallerConfig } from "../../src/config/schema.ts";
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
  startTestIssuer,
  TENANT,
  type TestIssuer,
  type TestKey,
} from "../helpers/oidc.ts";

const GITHUB = "https://token.actions.githubusercontent.com";
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

const policy = {
  issuers: [GITHUB],
  audiences: ["api://armbridge"],
  algorithms: ["RS256"],
  clockSkewSeconds: 0,
};
const verify = async (token: string, keys = new KeySets({ cooldownMs: 0 })) =>
  verifyJwt(token, keys.get(issuer.jwksUrl), policy);

/** A JWKS endpoint on loopback that answers as `answer` says. */
async function jwksServer(answer: (res: import("node:http").ServerResponse) => void) {
  const server: Server = createServer((_req, res) => answer(res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("verifyJwt's refusals", () => {
  it("refuses an issuer that is not a string, and a foreign one, before fetching any key", async () => {
    const before = issuer.fetches;
    expect(await verify(await issuer.sign(githubActionsClaims({ iss: 42 })))).toEqual({
      ok: false,
      reason: "the bearer token is not a JWT with an issuer",
    });
    expect(await verify(await issuer.sign(githubActionsClaims({ iss: "https://evil.example" })))).toEqual({
      ok: false,
      reason: "the token's issuer is not accepted",
    });
    expect(issuer.fetches).toBe(before);
  });

  it("names a missing claim, a claim that is not a time, and a token not valid yet", async () => {
    expect(await verify(await issuer.sign(githubActionsClaims({ iat: undefined })))).toEqual({
      ok: false,
      reason: "the token has no 'iat' claim",
      transient: false,
    });
    const later = Math.floor(Date.now() / 1000) + 600;
    for (const claim of ["iat", "nbf"]) {
      expect(await verify(await issuer.sign(githubActionsClaims({ [claim]: "yesterday" })))).toEqual({
        ok: false,
        reason: `the token's '${claim}' claim is not accepted`,
        transient: false,
      });
    }
    expect(await verify(await issuer.sign(githubActionsClaims({ nbf: later })))).toEqual({
      ok: false,
      reason: "the token is not valid yet ('nbf')",
      transient: false,
    });
  });

  it("refuses a kid that several published keys carry", async () => {
    const twin = { ...(await issuer.newKey()), kid: (issuer.keys[0] as { kid: string }).kid };
    issuer.keys.push(twin);
    try {
      expect(await verify(await issuer.sign(githubActionsClaims()))).toEqual({
        ok: false,
        reason: "the token's 'kid' matches several keys",
        transient: false,
      });
    } finally {
      issuer.keys.pop();
    }
  });

  it("calls a token whose header is not JSON malformed, not the issuer's fault", async () => {
    const [, payload, signature] = (await issuer.sign(githubActionsClaims())).split(".");
    const header = Buffer.from("not json").toString("base64url");
    expect(await verify(`${header}.${payload}.${signature}`)).toEqual({
      ok: false,
      reason: "the bearer token is malformed",
      transient: false,
    });
  });

  it("shares one key set per URL, fetched once", async () => {
    const keys = new KeySets({ cooldownMs: 0 });
    expect(keys.get(issuer.jwksUrl)).toBe(keys.get(issuer.jwksUrl));
    const before = issuer.fetches;
    expect(await verify(await issuer.sign(githubActionsClaims()), keys)).toMatchObject({ ok: true });
    expect(await verify(await issuer.sign(githubActionsClaims()), keys)).toMatchObject({ ok: true });
    expect(issuer.fetches - before).toBe(1);
  });

  it("fetches the keys again once they are older than maxAgeMs, and a rotated key after cooldownMs", async () => {
    // Only the Date is the test's: the key set's age and cooldown are read from it.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const keys = new KeySets({ maxAgeMs: 60_000, cooldownMs: 10_000 });
      const before = issuer.fetches;
      expect(await verify(await issuer.sign(githubActionsClaims()), keys)).toMatchObject({ ok: true });
      vi.setSystemTime(Date.now() + 61_000);
      expect(await verify(await issuer.sign(githubActionsClaims()), keys)).toMatchObject({ ok: true });
      expect(issuer.fetches - before).toBe(2);
      const rotated = await issuer.rotate();
      vi.setSystemTime(Date.now() + 11_000);
      expect(await verify(await issuer.sign(githubActionsClaims(), { key: rotated }), keys)).toMatchObject({
        ok: true,
      });
      expect(issuer.fetches - before).toBe(3);
    } finally {
      vi.useRealTimers();
      issuer.keys.shift();
    }
  });

  it("answers transient refusals when the keys are slow, invalid or not served", async () => {
    const fetchFailed = {
      ok: false,
      reason: "the issuer's signing keys could not be fetched",
      transient: true,
    };
    const token = await issuer.sign(githubActionsClaims());
    const jwks = {
      keys: [
        {
          ...(await exportJWK((issuer.keys[0] as TestKey).pair.publicKey)),
          kid: issuer.keys[0]?.kid,
          alg: "RS256",
        },
      ],
    };
    // Slower than the configured timeout (the jose default would wait for it).
    const slow = await jwksServer((res) => {
      setTimeout(
        () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks)),
        1000,
      );
    });
    const invalid = await jwksServer((res) => res.writeHead(200).end(JSON.stringify({ keys: "none" })));
    const failing = await jwksServer((res) => res.writeHead(500).end());
    try {
      const keys = new KeySets({ timeoutMs: 50 });
      for (const url of [slow.url, invalid.url, failing.url]) {
        expect(await verifyJwt(token, keys.get(url), policy), url).toEqual(fetchFailed);
      }
    } finally {
      await Promise.all([slow.close(), invalid.close(), failing.close()]);
    }
  });
});

describe("OIDC callers", () => {
  const authenticator = (yaml: string) =>
    createAuthenticator(parseConfig(`callers:\n${yaml}`, {}, operationNames).callers, {
      jwks: { cooldownMs: 0 },
    });
  const request = (headers: Record<string, string>) => ({
    method: "POST",
    url: "http://armbridge/v1/operations/x",
    headers: new Headers(headers),
    body: new Uint8Array(),
  });

  it("does not take an opaque bearer key for an OIDC token", async () => {
    const auth = authenticator(
      `  - { id: gh, kind: oidc, preset: github-actions, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { repository_id: "2002" } }`,
    );
    expect(await auth(request(bearer("ak_live_opaque")), ["gh"])).toEqual({
      ok: false,
      code: "unauthenticated",
      reason: "missing credentials: send Authorization: Bearer <OIDC token>",
      attempted: [],
    });
  });

  it("keeps every claim but the times of a custom issuer's token, and takes the Idempotency-Key", async () => {
    const auth = authenticator(
      `  - { id: own, kind: oidc, preset: custom, issuer: "https://idp.example", audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { team: platform } }`,
    );
    const token = await issuer.sign({
      ...githubActionsClaims({ iss: "https://idp.example", sub: "svc-1" }),
      jti: "j-1",
      team: "platform",
    });
    const result = await auth(request({ ...bearer(token), "idempotency-key": "k-1" }), ["own"]);
    expect(result).toMatchObject({
      ok: true,
      deliveryId: "k-1",
      caller: { id: "own", kind: "oidc", subject: "svc-1" },
    });
    const claims = (result as { caller: { claims: Record<string, unknown> } }).caller.claims;
    expect(claims).toMatchObject({ team: "platform", sub: "svc-1", runner_environment: "github-hosted" });
    expect(Object.keys(claims).filter((k) => ["jti", "nbf", "iat", "exp"].includes(k))).toEqual([]);
  });

  it("keeps a preset's claims and those the conditions name, no others", async () => {
    const auth = authenticator(
      `  - { id: gh, kind: oidc, preset: github-actions, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { repository_id: "2002", runner_environment: github-hosted } }`,
    );
    const result = await auth(request(bearer(await issuer.sign(githubActionsClaims()))), ["gh"]);
    const claims = (result as { caller: { claims: Record<string, unknown> } }).caller.claims;
    expect(Object.keys(claims).sort()).toEqual(
      [
        ...(resolveIssuer({ preset: "github-actions" } as OidcCallerConfig).claims ?? []),
        "runner_environment",
      ].sort(),
    );
  });

  it("refuses an immutable subject whose ids disagree with the token's id claims", async () => {
    const auth = authenticator(
      `  - { id: gh, kind: oidc, preset: github-actions, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { repository_id: "2002" } }`,
    );
    const owner = githubActionsClaims({ sub: "repo:contoso@9999/web@2002:environment:prod" });
    expect(await auth(request(bearer(await issuer.sign(owner))), ["gh"])).toMatchObject({
      ok: false,
      code: "unauthenticated",
      reason: "the token's subject names another repository owner id than its 'repository_owner_id'",
    });
    const odd = githubActionsClaims({ sub: "not-a-repo-subject" });
    expect(await auth(request(bearer(await issuer.sign(odd))), ["gh"])).toMatchObject({
      ok: true,
      caller: { subject: "not-a-repo-subject" },
    });
  });

  it("takes a GitLab token of the project, and an Entra v2 token of the tenant", async () => {
    const gitlab = authenticator(
      `  - { id: gl, kind: oidc, preset: gitlab-ci, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { project_id: "20" } }`,
    );
    expect(await gitlab(request(bearer(await issuer.sign(gitlabClaims()))), ["gl"])).toMatchObject({
      ok: true,
      caller: { subject: "project_path:contoso/web:ref_type:branch:ref:main" },
    });
    const entra = authenticator(
      `  - { id: svc, kind: oidc, preset: entra, tenantId: ${TENANT}, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { appid: ${SERVICE_APPID} } }`,
    );
    const v2 = entraClaims({ iss: `https://login.microsoftonline.com/${TENANT}/v2.0`, ver: "2.0" });
    expect(await entra(request(bearer(await issuer.sign(v2))), ["svc"])).toMatchObject({ ok: true });
  });

  it("refuses a token of the pinned issuer that names another organization or tenant", async () => {
    const ado = authenticator(
      `  - { id: ado, kind: oidc, preset: azure-devops, organizationId: ${ADO_ORG}, jwksUrl: "${issuer.jwksUrl}", conditions: { def_id: "17" } }`,
    );
    const otherOrg = azureDevopsClaims({
      iss: `https://vstoken.dev.azure.com/${ADO_ORG}`,
      org_id: ADO_OTHER_ORG,
    });
    expect(await ado(request(bearer(await issuer.sign(otherOrg))), ["ado"])).toMatchObject({
      ok: false,
      reason: "the token's 'org_id' claim is not accepted",
    });
    const entra = authenticator(
      `  - { id: svc, kind: oidc, preset: entra, tenantId: ${TENANT}, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { appid: ${SERVICE_APPID} } }`,
    );
    const otherTenant = entraClaims({ tid: "0b1d2c3e-0000-4000-8000-000000000000" });
    expect(await entra(request(bearer(await issuer.sign(otherTenant))), ["svc"])).toMatchObject({
      ok: false,
      reason: "the token's 'tid' claim is not accepted",
    });
  });

  it("takes an Azure DevOps token without org_id (service connections) and one of its organization", async () => {
    const auth = authenticator(
      `  - { id: ado, kind: oidc, preset: azure-devops, organizationId: ${ADO_ORG}, jwksUrl: "${issuer.jwksUrl}", conditions: { def_id: "17" } }`,
    );
    for (const claims of [azureDevopsClaims({ org_id: undefined }), azureDevopsClaims()]) {
      const result = await auth(request(bearer(await issuer.sign(claims))), ["ado"]);
      expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    }
  });

  it("names an Entra identity by its sub when the token has no oid", async () => {
    const auth = authenticator(
      `  - { id: svc, kind: oidc, preset: entra, tenantId: ${TENANT}, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", conditions: { appid: ${SERVICE_APPID} } }`,
    );
    const result = await auth(
      request(bearer(await issuer.sign(entraClaims({ oid: undefined, sub: "s-1" })))),
      ["svc"],
    );
    expect(result).toMatchObject({ ok: true, caller: { subject: `entra:${TENANT}/s-1` } });
  });

  it("accepts a token at the edges of the maximum lifetime", async () => {
    const auth = authenticator(
      `  - { id: gh, kind: oidc, preset: github-actions, audience: api://armbridge, jwksUrl: "${issuer.jwksUrl}", maxTokenLifetimeSeconds: 600, clockSkewSeconds: 60, conditions: { repository_id: "2002" } }`,
    );
    const now = Math.floor(Date.now() / 1000);
    const exact = githubActionsClaims({ iat: now - 10, nbf: now - 10, exp: now + 590 });
    expect(await auth(request(bearer(await issuer.sign(exact))), ["gh"])).toMatchObject({ ok: true });
    // Issued 640 s ago for 600 s: older than 600 s and expired 40 s ago, both within the 60 s of skew.
    const old = githubActionsClaims({ iat: now - 640, nbf: now - 640, exp: now - 40 });
    expect(await auth(request(bearer(await issuer.sign(old))), ["gh"])).toMatchObject({ ok: true });
  });
});

describe("OIDC presets", () => {
  const resolve = (c: Partial<OidcCallerConfig>) => resolveIssuer(c as OidcCallerConfig);

  it("finds each issuer's keys where it publishes them", () => {
    expect(resolve({ preset: "github-actions" }).jwksUrl).toBe(`${GITHUB}/.well-known/jwks`);
    expect(resolve({ preset: "gitlab-ci" }).jwksUrl).toBe("https://gitlab.com/oauth/discovery/keys");
    expect(resolve({ preset: "azure-devops", organizationId: ADO_ORG }).jwksUrl).toBe(
      "https://vstoken.dev.azure.com/.well-known/jwks",
    );
    expect(resolve({ preset: "entra", tenantId: TENANT.toUpperCase() }).jwksUrl).toBe(
      `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
    );
  });

  it("builds URLs from a configured issuer without its trailing slashes, and compares iss exactly", () => {
    const one = resolve({ preset: "github-actions", issuer: "https://ghe.example/oidc//" });
    expect(one).toMatchObject({
      issuers: ["https://ghe.example/oidc//"],
      jwksUrl: "https://ghe.example/oidc/.well-known/jwks",
    });
    const list = resolve({ preset: "gitlab-ci", issuers: ["https://gl.example/", "https://gl2.example"] });
    expect(list).toMatchObject({
      issuers: ["https://gl.example/", "https://gl2.example"],
      jwksUrl: "https://gl.example/oauth/discovery/keys",
    });
  });

  it("takes one audience or several, and Azure DevOps' fixed one by default", () => {
    expect(resolve({ preset: "github-actions" }).audiences).toEqual([]);
    expect(resolve({ preset: "github-actions", audience: "api://a" }).audiences).toEqual(["api://a"]);
    expect(resolve({ preset: "gitlab-ci", audience: ["api://a", "api://b"] }).audiences).toEqual([
      "api://a",
      "api://b",
    ]);
    expect(resolve({ preset: "azure-devops", organizationId: ADO_ORG }).audiences).toEqual([
      "api://AzureADTokenExchange",
    ]);
    expect(
      resolve({ preset: "azure-devops", organizationId: ADO_ORG, audience: "api://x" }).audiences,
    ).toEqual(["api://x"]);
  });

  it("keeps the claims each issuer's tokens identify a caller by, and no others", () => {
    const common = ["iss", "sub", "aud"];
    expect(resolve({ preset: "gitlab-ci" }).claims).toEqual([
      ...common,
      ...["project_path", "project_id", "namespace_path", "namespace_id", "ref", "ref_type"],
      ...["ref_protected", "environment", "environment_protected", "pipeline_source", "user_login"],
      ...["pipeline_id", "job_id"],
    ]);
    expect(resolve({ preset: "azure-devops", organizationId: ADO_ORG }).claims).toEqual([
      ...common,
      ...["org_id", "prj_id", "def_id", "rpo_id", "rpo_uri", "rpo_ref", "rpo_ver", "run_id"],
    ]);
    expect(resolve({ preset: "entra", tenantId: TENANT }).claims).toEqual([
      ...common,
      ...["tid", "oid", "appid", "azp", "roles", "idtyp", "ver"],
    ]);
  });

  it("keeps the claims each CI system's tokens identify a pipeline by", () => {
    expect(resolve({ preset: "github-actions" }).claims).toEqual(
      expect.arrayContaining([
        "repository_id",
        "repository_owner_id",
        "ref",
        "environment",
        "job_workflow_ref",
        "sha",
      ]),
    );
    expect(resolve({ preset: "github-actions" }).claims).toHaveLength(16);
    expect(resolve({ preset: "gitlab-ci" }).claims).toEqual(
      expect.arrayContaining([
        "project_id",
        "namespace_id",
        "ref_protected",
        "environment_protected",
        "job_id",
      ]),
    );
    expect(resolve({ preset: "gitlab-ci" }).claims).toHaveLength(16);
    expect(resolve({ preset: "custom", issuer: "https://x", jwksUrl: "https://x/k" }).claims).toBeUndefined();
  });
});
