// The Key Vault secrets API over HTTPS, as the real SDK meets it: an unauthenticated first request is
// answered 401 with the challenge (authority and `https://vault.azure.net` resource), tokens must be
// for that audience, and data actions are authorized by the vault's RBAC roles (Secrets User reads,
// Secrets Officer writes), answering Key Vault's error bodies.
import type http from "node:http";
import { text } from "node:stream/consumers";
import type { TokenAuthority } from "../tokens.ts";
import type { SecretStore } from "./secret-store.ts";

export const KEY_VAULT_AUDIENCES = ["https://vault.azure.net", "https://vault.azure.net/"];

export type KeyVaultRole = "Key Vault Secrets User" | "Key Vault Secrets Officer";

/** The data actions of the two built-in secret roles that the emulator knows. */
const ROLE_ACTIONS: Record<KeyVaultRole, readonly string[]> = {
  "Key Vault Secrets User": ["getSecret/action", "readMetadata/action"],
  "Key Vault Secrets Officer": [
    "getSecret/action",
    "readMetadata/action",
    "setSecret/action",
    "writeMetadata/action",
  ],
};

export interface KeyVaultDeps {
  tokens: TokenAuthority;
  tenantId: string;
  /** Role of each principal (object id) on the vault; principals without one are refused. */
  roles: Map<string, KeyVaultRole>;
  store: SecretStore;
}

const MAX_BODY = 64 * 1024;

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "x-ms-keyvault-service-version": "1.9.0.0",
    ...headers,
  });
  res.end(text);
}

const error = (code: string, message: string, inner?: string) => ({
  error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) },
});

export function createKeyVaultHandler(deps: KeyVaultDeps): http.RequestListener {
  return (req, res) => {
    void handle(deps, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, error("InternalServerError", "Internal error"));
    });
  };
}

async function handle(deps: KeyVaultDeps, req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? "/", "https://vault");
  const body = await text(req);
  const challenge = `Bearer authorization="https://login.microsoftonline.com/${deps.tenantId}", resource="https://vault.azure.net"`;
  const auth = req.headers.authorization;
  if (!auth?.startsWith("Bearer ")) {
    send(res, 401, error("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."), {
      "WWW-Authenticate": challenge,
    });
    return;
  }
  const verified = await deps.tokens.verify(auth.slice("Bearer ".length), KEY_VAULT_AUDIENCES);
  if (!verified.ok) {
    const message =
      verified.code === "InvalidAuthenticationTokenAudience"
        ? "AKV10022: Invalid audience. Expected https://vault.azure.net."
        : "AKV10032: Invalid issuer, signature or expired token.";
    send(res, 401, error("Unauthorized", message), { "WWW-Authenticate": challenge });
    return;
  }
  if (!url.searchParams.get("api-version")) {
    send(res, 400, error("BadParameter", "api-version query parameter is missing"));
    return;
  }
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== "secrets" || !parts[1] || parts.length > 3 || !/^[0-9A-Za-z-]{1,127}$/.test(parts[1])) {
    send(res, 404, error("NotFound", "The requested path does not exist on this vault."));
    return;
  }
  const [, name, version] = parts as [string, string, string | undefined];
  const route = routeOf(req.method ?? "GET", version);
  if (!route) {
    send(res, 405, error("MethodNotAllowed", `The requested method ${req.method} is not allowed.`));
    return;
  }
  const role = deps.roles.get(verified.claims.oid);
  if (!role || !ROLE_ACTIONS[role].includes(route.action)) {
    const message = `Caller is not authorized to perform action on resource.\r\nCaller: appid=${verified.claims.appid};oid=${verified.claims.oid}\r\nAction: 'Microsoft.KeyVault/vaults/secrets/${route.action}'\r\nAssignment: (not found)\r\n`;
    send(res, 403, error("Forbidden", message, "ForbiddenByRbac"));
    return;
  }
  const notFound = () =>
    send(
      res,
      404,
      error(
        "SecretNotFound",
        `A secret with (name/id) ${version ? `${name}/${version}` : name} was not found in this key vault.`,
      ),
    );
  let input: Record<string, unknown> = {};
  if (route.kind === "set" || route.kind === "update") {
    try {
      if (Buffer.byteLength(body) > MAX_BODY) throw new Error("too large");
      input = JSON.parse(body) as Record<string, unknown>;
    } catch {
      send(res, 400, error("BadParameter", "The request body is not valid JSON (at most 64 KB)."));
      return;
    }
  }
  switch (route.kind) {
    case "get": {
      const found = deps.store.find(name, version);
      if (!found) return notFound();
      if (!found.enabled) {
        send(
          res,
          403,
          error("Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled"),
        );
        return;
      }
      send(res, 200, found.bundle);
      return;
    }
    case "versions": {
      const items = deps.store.versions(name);
      if (!items) return notFound();
      send(res, 200, { value: items, nextLink: null });
      return;
    }
    case "set": {
      if (typeof input.value !== "string") {
        send(res, 400, error("BadParameter", "Property 'value' is required."));
        return;
      }
      send(res, 200, deps.store.set(name, input as { value: string }));
      return;
    }
    case "update": {
      const updated = deps.store.update(name, version as string, input);
      if (!updated) return notFound();
      send(res, 200, updated);
      return;
    }
  }
}

function routeOf(
  method: string,
  version: string | undefined,
): { kind: "get" | "versions" | "set" | "update"; action: string } | undefined {
  if (method === "GET" && version === "versions") return { kind: "versions", action: "readMetadata/action" };
  if (method === "GET") return { kind: "get", action: "getSecret/action" };
  if (method === "PUT" && version === undefined) return { kind: "set", action: "setSecret/action" };
  if (method === "PATCH" && version !== undefined) return { kind: "update", action: "writeMetadata/action" };
  return undefined;
}
