// Starts the emulated vault on its own HTTPS port, with the emulator's certificate and token authority.
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { ServerCertificate } from "../certificate.ts";
import type { TokenAuthority } from "../tokens.ts";
import type { EmulatedIdentity } from "../types.ts";
import { createKeyVaultHandler, type KeyVaultRole } from "./keyvault-server.ts";
import { SecretStore } from "./secret-store.ts";

export type { KeyVaultRole } from "./keyvault-server.ts";
export type { SecretStore } from "./secret-store.ts";

export interface KeyVaultOptions {
  port?: number;
  /** Role per principal id; by default every emulated identity is a Key Vault Secrets User (as Bicep assigns). */
  roles?: Record<string, KeyVaultRole>;
}

export interface EmulatedKeyVault {
  url: string;
  store: SecretStore;
  stop(): Promise<void>;
}

export async function startKeyVault(
  host: string,
  options: KeyVaultOptions,
  deps: {
    certificate: ServerCertificate;
    tokens: TokenAuthority;
    tenantId: string;
    identities: EmulatedIdentity[];
  },
): Promise<EmulatedKeyVault> {
  let url = "";
  const store = new SecretStore(() => url);
  const roles = new Map<string, KeyVaultRole>(
    Object.entries(
      options.roles ??
        Object.fromEntries(deps.identities.map((i) => [i.principalId, "Key Vault Secrets User" as const])),
    ),
  );
  const server = https.createServer(
    { cert: deps.certificate.certPem, key: deps.certificate.keyPem },
    createKeyVaultHandler({ tokens: deps.tokens, tenantId: deps.tenantId, roles, store }),
  );
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    url,
    store,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
