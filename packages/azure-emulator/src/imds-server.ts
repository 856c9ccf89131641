// The Instance Metadata Service token endpoint, answering the way the real IMDS does (plain HTTP).
import type http from "node:http";
import type { RequestLog } from "./request-log.ts";
import type { TokenAuthority } from "./tokens.ts";
import type { EmulatedIdentity } from "./types.ts";

export interface ImdsState {
  available: boolean;
  unavailableStatus: number;
  /** The VM's userData as Azure keeps it: base64, returned as is. */
  userData: string;
}

export interface ImdsDeps {
  identities: EmulatedIdentity[];
  tokens: TokenAuthority;
  log: RequestLog;
  state: ImdsState;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    Server: "IMDS/150.870.65.1544",
  });
  res.end(text);
}

function selectIdentity(deps: ImdsDeps, query: URLSearchParams): EmulatedIdentity | string {
  const clientId = query.get("client_id");
  const objectId = query.get("object_id") ?? query.get("principal_id");
  const resourceId = query.get("msi_res_id") ?? query.get("mi_res_id");
  const eq = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase();
  let found: EmulatedIdentity | undefined;
  if (clientId) found = deps.identities.find((i) => eq(i.clientId, clientId));
  else if (objectId) found = deps.identities.find((i) => eq(i.principalId, objectId));
  else if (resourceId) found = deps.identities.find((i) => eq(i.resourceId, resourceId));
  else {
    found = deps.identities.find((i) => i.kind === "system");
    const users = deps.identities.filter((i) => i.kind === "user");
    if (!found && users.length === 1) found = users[0];
    if (!found && users.length > 1) {
      return "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request";
    }
  }
  return found ?? "Identity not found";
}

export function createImdsHandler(deps: ImdsDeps): http.RequestListener {
  return (req, res) => {
    void handle(deps, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: "unknown_error", error_description: "Internal error" });
    });
  };
}

async function handle(deps: ImdsDeps, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://imds");
  if (!deps.state.available) {
    send(res, deps.state.unavailableStatus, {
      error: "service_unavailable",
      error_description: "IMDS is unavailable",
    });
    return;
  }
  if (url.pathname === "/metadata/instance/compute/userData") {
    serveUserData(deps, req, url, res);
    return;
  }
  // MSAL sends ".../oauth2/token/" (trailing slash); the real IMDS accepts both.
  if (url.pathname.replace(/\/+$/, "") !== "/metadata/identity/oauth2/token") {
    send(res, 404, { error: "not_found", error_description: "Not found" });
    return;
  }
  if (req.headers.metadata?.toString().toLowerCase() !== "true") {
    send(res, 400, { error: "invalid_request", error_description: "Required metadata header not specified" });
    return;
  }
  if (req.method !== "GET") {
    send(res, 405, { error: "invalid_request", error_description: "The request method is not allowed" });
    return;
  }
  if (!url.searchParams.get("api-version")) {
    send(res, 400, {
      error: "invalid_request",
      error_description: "Required query variable 'api-version' is missing",
    });
    return;
  }
  const resource = url.searchParams.get("resource");
  if (!resource) {
    send(res, 400, {
      error: "invalid_request",
      error_description: "Required query variable 'resource' is missing",
    });
    return;
  }
  const identity = selectIdentity(deps, url.searchParams);
  if (typeof identity === "string") {
    send(res, 400, { error: "invalid_request", error_description: identity });
    return;
  }
  const { token, iat, exp } = await deps.tokens.issue(identity, resource);
  deps.log.tokenIssued(token);
  send(res, 200, {
    access_token: token,
    client_id: identity.clientId,
    expires_in: String(exp - iat),
    expires_on: String(exp),
    ext_expires_in: String(exp - iat),
    not_before: String(iat),
    resource,
    token_type: "Bearer",
  });
}

/** `GET /metadata/instance/compute/userData?api-version=2021-01-01&format=text`: the base64 text. */
function serveUserData(deps: ImdsDeps, req: http.IncomingMessage, url: URL, res: http.ServerResponse): void {
  if (req.headers.metadata?.toString().toLowerCase() !== "true") {
    send(res, 400, { error: "Bad request. Required metadata header not specified" });
    return;
  }
  const version = url.searchParams.get("api-version") ?? "";
  if (version < "2021-01-01" || url.searchParams.get("format") !== "text") {
    send(res, 400, { error: "Bad request. userData needs api-version 2021-01-01 or later and format=text" });
    return;
  }
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", Server: "IMDS/150.870.65.1544" });
  res.end(deps.state.userData);
}
