// The secrets of one emulated vault: every version kept, each with Key Vault's attributes, in the
// shapes the Key Vault REST API answers with (SecretBundle, SecretItem).
import { randomUUID } from "node:crypto";

export interface SecretAttributes {
  enabled: boolean;
  /** Unix seconds, as Key Vault sends them. */
  created: number;
  updated: number;
  nbf?: number;
  exp?: number;
}

interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  attributes: SecretAttributes;
}

export interface SetSecretInput {
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  attributes?: { enabled?: boolean; nbf?: number; exp?: number };
}

export interface UpdateSecretInput {
  contentType?: string;
  tags?: Record<string, string>;
  attributes?: { enabled?: boolean; nbf?: number; exp?: number };
}

const RECOVERY = { recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 };

export class SecretStore {
  /** Secret names are case-insensitive in Key Vault; the first spelling is kept. */
  readonly #secrets = new Map<string, { name: string; versions: SecretVersion[] }>();
  #lastCreated = 0;

  readonly #vaultUrl: () => string;

  constructor(vaultUrl: () => string) {
    this.#vaultUrl = vaultUrl;
  }

  /** Creation times strictly increase, so "newest" is well defined even within one second. */
  #now(): number {
    this.#lastCreated = Math.max(Math.floor(Date.now() / 1000), this.#lastCreated + 1);
    return this.#lastCreated;
  }

  set(name: string, input: SetSecretInput): Record<string, unknown> {
    const key = name.toLowerCase();
    const entry = this.#secrets.get(key) ?? { name, versions: [] };
    this.#secrets.set(key, entry);
    const created = this.#now();
    const version: SecretVersion = {
      version: randomUUID().replaceAll("-", ""),
      value: input.value,
      ...(input.contentType !== undefined ? { contentType: input.contentType } : {}),
      ...(input.tags ? { tags: input.tags } : {}),
      attributes: {
        enabled: input.attributes?.enabled ?? true,
        created,
        updated: created,
        ...(input.attributes?.nbf !== undefined ? { nbf: input.attributes.nbf } : {}),
        ...(input.attributes?.exp !== undefined ? { exp: input.attributes.exp } : {}),
      },
    };
    entry.versions.push(version);
    return this.#bundle(entry.name, version, true);
  }

  /** The version asked for, or the newest one; undefined when the secret or version does not exist. */
  find(name: string, version?: string): { bundle: Record<string, unknown>; enabled: boolean } | undefined {
    const entry = this.#secrets.get(name.toLowerCase());
    const found = version
      ? entry?.versions.find((v) => v.version === version.toLowerCase())
      : entry?.versions.at(-1);
    if (!entry || !found) return undefined;
    return { bundle: this.#bundle(entry.name, found, true), enabled: found.attributes.enabled };
  }

  update(name: string, version: string, input: UpdateSecretInput): Record<string, unknown> | undefined {
    const entry = this.#secrets.get(name.toLowerCase());
    const found = entry?.versions.find((v) => v.version === version.toLowerCase());
    if (!entry || !found) return undefined;
    if (input.contentType !== undefined) found.contentType = input.contentType;
    if (input.tags) found.tags = input.tags;
    const { enabled, nbf, exp } = input.attributes ?? {};
    if (enabled !== undefined) found.attributes.enabled = enabled;
    if (nbf !== undefined) found.attributes.nbf = nbf;
    if (exp !== undefined) found.attributes.exp = exp;
    found.attributes.updated = Math.floor(Date.now() / 1000);
    return this.#bundle(entry.name, found, false);
  }

  /** SecretItems of every version (no values), or undefined when the secret does not exist. */
  versions(name: string): Record<string, unknown>[] | undefined {
    const entry = this.#secrets.get(name.toLowerCase());
    return entry?.versions.map((v) => this.#bundle(entry.name, v, false));
  }

  clear(): void {
    this.#secrets.clear();
  }

  #bundle(name: string, v: SecretVersion, withValue: boolean): Record<string, unknown> {
    return {
      ...(withValue ? { value: v.value } : {}),
      id: `${this.#vaultUrl()}/secrets/${name}/${v.version}`,
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      ...(v.tags ? { tags: v.tags } : {}),
      attributes: { ...v.attributes, ...RECOVERY },
    };
  }
}
