// A local OIDC issuer for tests: RSA keys served as a JWKS on 127.0.0.1, and tokens minted in the
// exact claim shapes of GitHub Actions, GitLab CI, Azure DevOps and Entra ID.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export interface TestKey {
  kid: string;
  pair: KeyPair;
}

export interface TestIssuer {
  /** The JWKS URL (plain http on loopback). */
  jwksUrl: string;
  /** Keys currently published; the first signs by default. */
  keys: TestKey[];
  /** How many times the JWKS was fetched. */
  fetches: number;
  newKey(): Promise<TestKey>;
  /** Publishes a fresh key, signing with it from now on (old keys stay published). */
  rotate(): Promise<TestKey>;
  sign(claims: JWTPayload, options?: { key?: TestKey; kid?: string }): Promise<string>;
  /** The public key in SPKI PEM: what an attacker would use as an HMAC secret. */
  publicPem(): Promise<string>;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const newKey = async (): Promise<TestKey> => ({
    kid: randomUUID(),
    pair: await generateKeyPair("RS256", { extractable: true }),
  });
  const issuer: Omit<TestIssuer, "jwksUrl" | "close"> = {
    keys: [await newKey()],
    fetches: 0,
    newKey,
    async rotate() {
      const key = await newKey();
      issuer.keys.unshift(key);
      return key;
    },
    async sign(claims, options = {}) {
      const key = options.key ?? (issuer.keys[0] as TestKey);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: options.kid ?? key.kid })
        .sign(key.pair.privateKey);
    },
    publicPem: () => exportSPKI((issuer.keys[0] as TestKey).pair.publicKey),
  };
  const server: Server = createServer(async (_req, res) => {
    issuer.fetches += 1;
    const keys: JWK[] = await Promise.all(
      issuer.keys.map(async (k) => ({
        ...(await exportJWK(k.pair.publicKey)),
        kid: k.kid,
        alg: "RS256",
        use: "sig",
      })),
    );
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(issuer, {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

const now = () => Math.floor(Date.now() / 1000);
const times = (lifetime = 300) => ({ iat: now(), nbf: now() - 5, exp: now() + lifetime });

/** A GitHub Actions token as token.actions.githubusercontent.com issues it (environment job on main). */
export function githubActionsClaims(over: Record<string, unknown> = {}): JWTPayload {
  return {
    jti: randomUUID(),
    sub: "repo:contoso/web:environment:prod",
    aud: "api://armbridge",
    ref: "refs/heads/main",
    sha: "d6a8ea3bc3b8b7a2b1ef9dc2fd2d7e8a6a1e5f10",
    repository: "contoso/web",
    repository_owner: "contoso",
    repository_owner_id: "1001",
    repository_id: "2002",
    repository_visibility: "private",
    actor: "octocat",
    actor_id: "583231",
    run_id: "9012345678",
    run_number: "42",
    run_attempt: "1",
    runner_environment: "github-hosted",
    workflow: "deploy",
    head_ref: "",
    base_ref: "",
    event_name: "push",
    ref_type: "branch",
    ref_protected: "true",
    environment: "prod",
    workflow_ref: "contoso/web/.github/workflows/deploy.yml@refs/heads/main",
    workflow_sha: "d6a8ea3bc3b8b7a2b1ef9dc2fd2d7e8a6a1e5f10",
    job_workflow_ref: "contoso/web/.github/workflows/deploy.yml@refs/heads/main",
    job_workflow_sha: "d6a8ea3bc3b8b7a2b1ef9dc2fd2d7e8a6a1e5f10",
    iss: "https://token.actions.githubusercontent.com",
    ...times(),
    ...over,
  };
}

/** A GitLab CI `id_tokens` token from gitlab.com for a protected branch with an environment. */
export function gitlabClaims(over: Record<string, unknown> = {}): JWTPayload {
  return {
    namespace_id: "72",
    namespace_path: "contoso",
    project_id: "20",
    project_path: "contoso/web",
    user_id: "1",
    user_login: "alice",
    user_email: "alice@example.com",
    user_access_level: "maintainer",
    pipeline_id: "574",
    pipeline_source: "push",
    job_id: "302",
    ref: "main",
    ref_type: "branch",
    ref_path: "refs/heads/main",
    ref_protected: "true",
    environment: "production",
    environment_protected: "true",
    deployment_tier: "production",
    environment_action: "start",
    runner_id: 1,
    runner_environment: "gitlab-hosted",
    sha: "714a629c0b401fdce83e847fc9589983fc6f46bc",
    project_visibility: "private",
    ci_config_ref_uri: "gitlab.com/contoso/web//.gitlab-ci.yml@refs/heads/main",
    ci_config_sha: "714a629c0b401fdce83e847fc9589983fc6f46bc",
    jti: randomUUID(),
    iss: "https://gitlab.com",
    sub: "project_path:contoso/web:ref_type:branch:ref:main",
    aud: "api://armbridge",
    ...times(),
    ...over,
  };
}

export const ADO_ORG = "0ca3ddd9-f0b0-4635-a98c-5866526961b6";
export const ADO_OTHER_ORG = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";

/** An Azure DevOps pipeline token (`System.OidcRequestUri`), issuer per organization. */
export function azureDevopsClaims(over: Record<string, unknown> = {}): JWTPayload {
  const org = (over.org_id as string | undefined) ?? ADO_ORG;
  return {
    jti: randomUUID(),
    sub: "p://contoso/web/web-deploy",
    aud: "api://AzureADTokenExchange",
    org_id: org,
    prj_id: "271ef6f7-5998-4b0f-86fb-4b54d9129990",
    def_id: "17",
    rpo_id: "4f1c2f6e-2b1e-4c55-9a3c-4f0d5d9e8a11",
    rpo_uri: "https://dev.azure.com/contoso/web/_git/web",
    rpo_ver: "c291ea713801eb300054d353d279e7b02331f671",
    rpo_ref: "refs/heads/main",
    run_id: "5",
    iss: `https://vstoken.dev.azure.com/${org}`,
    ...times(),
    ...over,
  };
}

export const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const SERVICE_OID = "6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b";
export const SERVICE_APPID = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";

/** A v1 access token Entra ID issues to a service's managed identity for armbridge's app. */
export function entraClaims(over: Record<string, unknown> = {}): JWTPayload {
  return {
    aud: "api://armbridge",
    iss: `https://sts.windows.net/${TENANT}/`,
    aio: "k2BgYDj8Yt3+vdPmuf6Wr4c1AgA=",
    appid: SERVICE_APPID,
    appidacr: "2",
    idp: `https://sts.windows.net/${TENANT}/`,
    idtyp: "app",
    oid: SERVICE_OID,
    rh: "0.AXEAv4j5cvGGr0GRqy180BHbR0ZmCmwhM_hLnUjEL0tK9jBxAAA.",
    roles: ["Deployer"],
    sub: SERVICE_OID,
    tid: TENANT,
    uti: "x0cXoUa6I0ubFBvL3hBLAA",
    ver: "1.0",
    xms_mirid: `/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/svc/providers/Microsoft.ManagedIdentity/userAssignedIdentities/svc`,
    ...times(3600),
    ...over,
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export const EVENT_GRID_APP = "4962773b-9cdb-44cf-a8bf-237846a00ab7";
/** The object id of Event Grid's service principal in the test tenant. */
export const EVENT_GRID_SP_OID = "b5a3c2d1-7e6f-4a8b-9c0d-1e2f3a4b5c6d";

/** The v1 token Event Grid obtains for a webhook's app (audience) when it delivers with Entra ID auth. */
export function eventGridClaims(over: Record<string, unknown> = {}): JWTPayload {
  const { xms_mirid: _managedIdentityOnly, ...claims } = entraClaims({
    aud: "api://armbridge-events",
    appid: EVENT_GRID_APP,
    oid: EVENT_GRID_SP_OID,
    sub: EVENT_GRID_SP_OID,
    roles: ["AzureEventGridSecureWebhookSubscriber"],
    ...over,
  });
  return claims;
}
