// Stand-ins for the token endpoints CI systems give their jobs, on 127.0.0.1: GitHub Actions'
// (GET ?audience=, the runner's bearer token) and Azure DevOps' (POST ?serviceConnectionId=, the
// pipeline's System.AccessToken). Each answers with a token the test issuer signs in that provider's shape.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { JWTPayload } from "jose";
import { azureDevopsClaims, githubActionsClaims, type TestIssuer } from "./oidc.ts";

export interface TokenEndpoint {
  url: string;
  /** What each request asked for: the audience (GitHub) or the service connection (Azure DevOps). */
  asked: string[];
  close(): Promise<void>;
}

async function listen(
  handle: (url: URL, method: string, auth: string | undefined) => Promise<unknown | undefined>,
): Promise<TokenEndpoint> {
  const asked: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    handle(url, req.method ?? "GET", req.headers.authorization).then((body) => {
      res.writeHead(body ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(body ?? { message: "unauthorized" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    asked,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** GitHub's ACTIONS_ID_TOKEN_REQUEST_URL: a token whose `aud` is the audience the job asked for. */
export async function githubTokenEndpoint(
  issuer: TestIssuer,
  runnerToken: string,
  claims: JWTPayload = {},
): Promise<TokenEndpoint> {
  const endpoint = await listen(async (url, method, auth) => {
    if (method !== "GET" || auth !== `Bearer ${runnerToken}`) return undefined;
    const audience = url.searchParams.get("audience") ?? "";
    endpoint.asked.push(audience);
    return { value: await issuer.sign(githubActionsClaims({ ...claims, aud: audience })) };
  });
  return endpoint;
}

/** Azure DevOps' SYSTEM_OIDCREQUESTURI: the pipeline's token for the service connection asked for. */
export async function azureDevopsTokenEndpoint(
  issuer: TestIssuer,
  accessToken: string,
): Promise<TokenEndpoint> {
  const endpoint = await listen(async (url, method, auth) => {
    if (method !== "POST" || auth !== `Bearer ${accessToken}`) return undefined;
    endpoint.asked.push(url.searchParams.get("serviceConnectionId") ?? "");
    return { oidcToken: await issuer.sign(azureDevopsClaims()) };
  });
  return endpoint;
}
