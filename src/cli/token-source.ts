// Where `armbridge call` gets its caller's token: the way each CI system hands one to a job.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export const TOKEN_SOURCES = ["github-actions", "gitlab", "azure-devops", "az", "env"] as const;
export type TokenSource = (typeof TOKEN_SOURCES)[number];

type Env = Record<string, string | undefined>;

/** A token source that cannot give a token here, with what to set or grant. */
export class TokenSourceError extends Error {
  override name = "TokenSourceError";
}

const need = (env: Env, name: string, hint: string): string => {
  const value = env[name];
  if (!value) throw new TokenSourceError(`${name} is not set: ${hint}`);
  return value;
};

export async function tokenFrom(source: TokenSource, audience: string, env: Env): Promise<string> {
  switch (source) {
    case "github-actions":
      return githubActions(audience, env);
    case "gitlab":
      // GitLab puts the token the job's `id_tokens:` asked for (with its `aud`) into a variable.
      return need(
        env,
        env.ARMBRIDGE_ID_TOKEN_VAR ?? "ARMBRIDGE_ID_TOKEN",
        "declare it under the job's id_tokens with aud: armbridge's audience",
      );
    case "azure-devops":
      return azureDevops(env);
    case "az":
      return azCli(audience);
    case "env":
      return need(env, "ARMBRIDGE_TOKEN", "set it to the caller's API key or bearer token");
  }
}

/** GitHub Actions: the job's OIDC endpoint, asked for armbridge's audience (needs `id-token: write`). */
async function githubActions(audience: string, env: Env): Promise<string> {
  const hint = "give the job `permissions: id-token: write`";
  const url = new URL(need(env, "ACTIONS_ID_TOKEN_REQUEST_URL", hint));
  url.searchParams.set("audience", audience);
  const res = await fetch(url, {
    headers: { Authorization: `Bearer ${need(env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN", hint)}` },
  });
  if (!res.ok) throw new TokenSourceError(`GitHub's token endpoint answered ${res.status}`);
  const body = (await res.json()) as { value?: string };
  if (!body.value) throw new TokenSourceError("GitHub's token endpoint answered without a token");
  return body.value;
}

/**
 * Azure DevOps: the pipeline's OIDC token for a service connection (its audience is always
 * `api://AzureADTokenExchange`); the job must map `System.AccessToken` into SYSTEM_ACCESSTOKEN.
 */
async function azureDevops(env: Env): Promise<string> {
  const base = need(env, "SYSTEM_OIDCREQUESTURI", "run inside an Azure DevOps pipeline job");
  const connection = need(
    env,
    "ARMBRIDGE_SERVICE_CONNECTION_ID",
    "set it to the id of the service connection armbridge's caller config names",
  );
  const url = new URL(base);
  url.searchParams.set("api-version", "7.1");
  url.searchParams.set("serviceConnectionId", connection);
  const res = await fetch(url, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${need(env, "SYSTEM_ACCESSTOKEN", "map it with env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)")}`,
      "Content-Type": "application/json",
    },
  });
  if (!res.ok) throw new TokenSourceError(`Azure DevOps' token endpoint answered ${res.status}`);
  const body = (await res.json()) as { oidcToken?: string };
  if (!body.oidcToken) throw new TokenSourceError("Azure DevOps' token endpoint answered without a token");
  return body.oidcToken;
}

/** The Azure CLI's signed-in identity, for an `entra` caller whose audience is armbridge's app. */
async function azCli(audience: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(
      "az",
      ["account", "get-access-token", "--resource", audience, "--query", "accessToken", "--output", "tsv"],
      { timeout: 60_000 },
    );
    return stdout.trim();
  } catch (e) {
    throw new TokenSourceError(`az account get-access-token failed: ${(e as Error).message.split("\n")[0]}`);
  }
}
