// Reads the config's `{ keyVault: URL }` secrets with the managed identity, then re-reads them on a
// schedule so a rotated secret takes effect without a restart. During a rotation the previous
// version stays accepted for `rotationOverlapSeconds` after the new one was created (or until it is
// disabled), so senders that sign with it can switch over.
import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/core-auth";
import { parseKeyVaultSecretIdentifier, SecretClient, type SecretProperties } from "@azure/keyvault-secrets";
import type { Config } from "../config/schema.ts";
import type { Secret } from "../config/secret.ts";
import { isLoopbackVault } from "../config/secret-ref.ts";
import type { Logger } from "../telemetry/logger.ts";

export interface KeyVaultSecretsOptions {
  credential: TokenCredential;
  azure: Pick<Config["azure"], "keyVault" | "caCertFile">;
  logger: Logger;
  /** Extra CA certificate (PEM) to trust for the vaults, e.g. the emulator's; `azure.caCertFile` otherwise. */
  trustedCaPem?: string;
}

export interface KeyVaultSecrets {
  /** Re-reads every secret now; a secret that cannot be read keeps its values (and is logged). */
  refresh(): Promise<void>;
  stop(): void;
}

interface Tracked {
  secret: Secret;
  client: SecretClient;
  name: string;
  /** Values already read, by version: a version's value never changes. */
  values: Map<string, string>;
  versions: string[];
}

/** Reads every Key Vault secret once (throwing, naming each one that failed), then refreshes on a schedule. */
export async function startKeyVaultSecrets(
  secrets: Iterable<Secret>,
  options: KeyVaultSecretsOptions,
): Promise<KeyVaultSecrets> {
  const ca =
    options.trustedCaPem ??
    (options.azure.caCertFile ? readFileSync(options.azure.caCertFile, "utf8") : undefined);
  const clients = new Map<string, SecretClient>();
  const tracked: Tracked[] = [];
  for (const secret of secrets) {
    if (!secret.keyVaultUrl) continue;
    const { vaultUrl, name } = parseKeyVaultSecretIdentifier(secret.keyVaultUrl);
    let client = clients.get(vaultUrl);
    if (!client) {
      client = new SecretClient(vaultUrl, options.credential, {
        // The emulator on loopback cannot be a *.vault.azure.net host; a real vault is always verified.
        disableChallengeResourceVerification: isLoopbackVault(vaultUrl),
        // Trust is added for this client only; the process-wide TLS verification stays untouched.
        ...(ca ? { tlsOptions: { ca } } : {}),
      });
      clients.set(vaultUrl, client);
    }
    tracked.push({ secret, client, name, values: new Map(), versions: [] });
  }
  const overlapMs = options.azure.keyVault.rotationOverlapSeconds * 1000;
  const results = await Promise.allSettled(tracked.map((t) => read(t, overlapMs)));
  const failed = results.flatMap((r, i) =>
    r.status === "rejected" ? [`${tracked[i]?.secret.name}: ${(r.reason as Error).message}`] : [],
  );
  if (failed.length > 0) throw new Error(`cannot read Key Vault secrets:\n  - ${failed.join("\n  - ")}`);

  const refresh = async () => {
    await Promise.all(
      tracked.map(async (t) => {
        const before = t.versions.join(",");
        try {
          await read(t, overlapMs);
          if (t.versions.join(",") !== before) {
            // Versions are ids, not values: safe to log.
            options.logger.info({ secret: t.secret.name, versions: t.versions }, "Key Vault secret rotated");
          }
        } catch (err) {
          options.logger.warn(
            { secret: t.secret.name, err: (err as Error).message },
            "cannot re-read a Key Vault secret; its current values stay in use",
          );
        }
      }),
    );
  };
  const timer = tracked.length
    ? setInterval(() => void refresh(), options.azure.keyVault.refreshSeconds * 1000).unref()
    : undefined;
  return { refresh, stop: () => clearInterval(timer) };
}

/** What an operator can act on, from the SDK's error. */
function explain(err: unknown): string {
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 404) return "the secret is not found in the vault";
  if (status === 403) return "the identity may not read it (it needs Key Vault Secrets User on the vault)";
  return (err as Error).message;
}

/** Usable now: enabled, past its not-before, before its expiry. */
function usable(p: SecretProperties, now: number): boolean {
  return (
    p.enabled !== false &&
    !(p.notBefore && p.notBefore.getTime() > now) &&
    !(p.expiresOn && p.expiresOn.getTime() <= now)
  );
}

async function read(t: Tracked, overlapMs: number): Promise<void> {
  const now = Date.now();
  const all: SecretProperties[] = [];
  try {
    for await (const p of t.client.listPropertiesOfSecretVersions(t.name)) all.push(p);
  } catch (err) {
    throw new Error(explain(err));
  }
  const [current, previous] = all
    .filter((p) => usable(p, now) && p.version)
    .sort((a, b) => (b.createdOn?.getTime() ?? 0) - (a.createdOn?.getTime() ?? 0));
  if (!current) throw new Error("the secret has no enabled version");
  const inOverlap = previous && (current.createdOn?.getTime() ?? 0) + overlapMs > now;
  const chosen = inOverlap ? [current, previous] : [current];
  const values: string[] = [];
  for (const p of chosen) {
    const version = p.version as string;
    let value = t.values.get(version);
    if (value === undefined) {
      value = (await t.client.getSecret(t.name, { version })).value ?? "";
      t.values.set(version, value);
    }
    const problem = t.secret.check?.(value);
    // A bad new value is refused; a bad previous one is only left out.
    if (problem && p === current) throw new Error(`version ${version}: ${problem}`);
    if (!problem) values.push(value);
  }
  t.secret.update(values);
  t.versions = chosen.map((p) => p.version as string);
}
