// A secret reference in the config: `{ env: NAME }` (read at start) or `{ keyVault: URL }` (read with
// the managed identity at start and again on a schedule, so a rotation needs no restart).
import { z } from "zod";
import { Secret, type SecretCheck } from "./secret.ts";

/** The environment secret references resolve against (schema.ts's `Env`; not imported, it imports us). */
type Env = Readonly<Record<string, string | undefined>>;

/** A stand-in for unset secrets when only the config's shape is read (`armbridge roles`). */
const PLACEHOLDER_SECRET = "whsec_cGxhY2Vob2xkZXI=";

/** Key Vault's DNS suffixes in the public and sovereign clouds. */
const VAULT_SUFFIXES = [".vault.azure.net", ".vault.azure.cn", ".vault.usgovcloudapi.net"];
const LOOPBACK = ["127.0.0.1", "[::1]", "localhost"];

/** Whether the vault is a loopback emulator (whose challenge cannot name a `*.vault.azure.net` resource). */
export function isLoopbackVault(url: string): boolean {
  return LOOPBACK.includes(new URL(url).hostname);
}

const keyVaultUrl = z.url({ protocol: /^https$/ }).superRefine((u, ctx) => {
  const url = new URL(u);
  const host = url.hostname.toLowerCase();
  if (!VAULT_SUFFIXES.some((s) => host.endsWith(s)) && !LOOPBACK.includes(host)) {
    ctx.addIssue({
      code: "custom",
      message: `must be a Key Vault URL (https://NAME${VAULT_SUFFIXES[0]}/secrets/SECRET)`,
    });
  }
  // A version would pin the value and a rotation would never arrive: the reference names the secret.
  if (!/^\/secrets\/[0-9A-Za-z-]{1,127}$/.test(url.pathname) || url.search || url.hash) {
    ctx.addIssue({ code: "custom", message: "must name a secret without a version: …/secrets/SECRET" });
  }
});

export type SecretRefFactory = (check?: SecretCheck) => z.ZodType<Secret, unknown>;

/** Secret references resolved against `env`; Key Vault ones are read later (src/azure/key-vault-secrets.ts). */
export function secretRefFactory(env: Env, placeholders: boolean): SecretRefFactory {
  return (check) =>
    z
      .union([
        z.strictObject({
          env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name"),
        }),
        z.strictObject({ keyVault: keyVaultUrl }),
      ])
      .transform((ref, ctx) => {
        if ("keyVault" in ref) {
          return new Secret(ref.keyVault, undefined, {
            keyVaultUrl: ref.keyVault,
            ...(check ? { check } : {}),
          });
        }
        const value = env[ref.env] || (placeholders ? PLACEHOLDER_SECRET : undefined);
        if (!value) {
          ctx.addIssue({ code: "custom", message: `environment variable ${ref.env} is not set` });
          return z.NEVER;
        }
        const problem = check?.(value);
        if (problem) {
          ctx.addIssue({ code: "custom", message: problem });
          return z.NEVER;
        }
        return new Secret(ref.env, value);
      });
}
