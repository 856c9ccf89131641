// Secrets from Key Vault: the real SDK against the emulator's vault (challenge, audience, RBAC), and
// a webhook caller whose secret is rotated in the vault while armbridge runs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { SecretClient } from "@azure/keyvault-secrets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KeyVaultSecrets, startKeyVaultSecrets } from "../../src/azure/key-vault-secrets.ts";
import { ConfigError, parseConfig } from "../../src/config/load.ts";
import { secretsIn } from "../../src/config/secret.ts";
import { defaultIdentities, type Emulator, startEmulator } from "../../src/emulator/index.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import { managedIdentity } from "../helpers/emulator-clients.ts";
import { githubDelivery } from "../helpers/github.ts";

const SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";
const OFFICER = {
  kind: "user" as const,
  principalId: "0ff1ce00-0000-4000-8000-000000000001",
  clientId: "0ff1ce00-0000-4000-8000-0000000000c1",
  roleAssignments: [],
};
const [ARMBRIDGE] = defaultIdentities([SUBSCRIPTION]);

describe("Key Vault secrets", () => {
  let emulator: Emulator;
  /** Writes as an operator would: a Secrets Officer, through the SDK. */
  let officer: SecretClient;
  /** Reads as armbridge does: its own identity, a Secrets User. */
  let reader: SecretClient;

  beforeAll(async () => {
    emulator = await startEmulator({
      subscriptions: [SUBSCRIPTION],
      identities: [ARMBRIDGE as NonNullable<typeof ARMBRIDGE>, OFFICER],
      keyVault: {
        roles: {
          [ARMBRIDGE?.principalId as string]: "Key Vault Secrets User",
          [OFFICER.principalId]: "Key Vault Secrets Officer",
        },
      },
    });
    const options = { disableChallengeResourceVerification: true, tlsOptions: { ca: emulator.caCertPem } };
    officer = new SecretClient(emulator.keyVaultUrl, managedIdentity(emulator, OFFICER.clientId), options);
    reader = new SecretClient(emulator.keyVaultUrl, managedIdentity(emulator), options);
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  describe("the emulated vault", () => {
    it("answers an unauthenticated request with Key Vault's challenge", async () => {
      const { request } = await import("node:https");
      const { status, challenge } = await new Promise<{ status?: number; challenge?: string }>(
        (resolve, reject) => {
          request(
            `${emulator.keyVaultUrl}/secrets/any?api-version=7.6`,
            { ca: emulator.caCertPem },
            (res) => {
              res.resume();
              resolve({ status: res.statusCode, challenge: res.headers["www-authenticate"] });
            },
          )
            .on("error", reject)
            .end();
        },
      );
      expect(status).toBe(401);
      expect(challenge).toBe(
        `Bearer authorization="https://login.microsoftonline.com/${emulator.tenantId}", resource="https://vault.azure.net"`,
      );
    });

    it("lets a Secrets Officer write and a Secrets User read, and refuses the user a write", async () => {
      const written = await officer.setSecret("roles-check", "value-one");
      expect(written.properties.version).toMatch(/^[0-9a-f]{32}$/);
      expect((await reader.getSecret("roles-check")).value).toBe("value-one");
      await expect(reader.setSecret("roles-check", "value-two")).rejects.toMatchObject({
        statusCode: 403,
        code: "Forbidden",
      });
      await expect(reader.getSecret("missing")).rejects.toMatchObject({
        statusCode: 404,
        code: "SecretNotFound",
      });
    });

    it("lists versions and refuses to read a disabled one", async () => {
      const first = await officer.setSecret("versions-check", "first");
      await officer.setSecret("versions-check", "second");
      const versions = [];
      for await (const p of reader.listPropertiesOfSecretVersions("versions-check")) versions.push(p.version);
      expect(versions).toHaveLength(2);
      await officer.updateSecretProperties("versions-check", first.properties.version as string, {
        enabled: false,
      });
      await expect(
        reader.getSecret("versions-check", { version: first.properties.version as string }),
      ).rejects.toMatchObject({ statusCode: 403 });
    });
  });

  describe("a webhook caller whose secret lives in Key Vault", () => {
    let runtime: Runtime;
    let secrets: KeyVaultSecrets;
    let dataDir: string;
    const logs: string[] = [];

    beforeAll(async () => {
      await officer.setSecret("github-hook", "first-secret-value");
      dataDir = mkdtempSync(join(tmpdir(), "armbridge-kv-"));
      const config = parseConfig(
        `
callers:
  - { id: ci, kind: github-webhook, secrets: [{ keyVault: "${emulator.keyVaultUrl}/secrets/github-hook" }] }
hooks:
  - { id: deploy, callers: [ci] }
`,
        {},
        operationNames,
      );
      const logger = createLogger(
        "info",
        new Writable({
          write(chunk, _e, done) {
            logs.push(String(chunk));
            done();
          },
        }),
      );
      secrets = await startKeyVaultSecrets(secretsIn(config), {
        credential: managedIdentity(emulator),
        azure: config.azure,
        logger,
        trustedCaPem: emulator.caCertPem,
      });
      runtime = createRuntime(
        {
          ...config,
          dataDir,
          azure: {
            ...config.azure,
            resourceManagerEndpoint: emulator.armUrl,
            imdsEndpoint: emulator.imdsUrl,
          },
        },
        { logger, trustedCaPem: emulator.caCertPem },
      );
      await runtime.start();
    });
    afterAll(async () => {
      secrets?.stop();
      await runtime?.stop(1000);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const deliver = async (secret: string) =>
      (await runtime.app.request("/hooks/deploy", await githubDelivery(secret, { ref: "refs/heads/main" })))
        .status;

    it("accepts the current value, then both values while a rotation overlaps, then only the new one", async () => {
      // 202 for a delivery that matches no route is still an accepted, authenticated one; 401 is not.
      const accepted = await deliver("first-secret-value");
      expect(accepted).toBeLessThan(300);
      expect(await deliver("second-secret-value")).toBe(401);

      const second = await officer.setSecret("github-hook", "second-secret-value");
      await secrets.refresh();
      expect(await deliver("second-secret-value")).toBe(accepted);
      expect(await deliver("first-secret-value")).toBe(accepted);
      expect(logs.join("")).toContain("Key Vault secret rotated");
      expect(logs.join("")).not.toContain("second-secret-value");

      // The operator ends the overlap by disabling the old version.
      const versions = [];
      for await (const p of officer.listPropertiesOfSecretVersions("github-hook")) versions.push(p.version);
      const old = versions.find((v) => v !== second.properties.version) as string;
      await officer.updateSecretProperties("github-hook", old, { enabled: false });
      await secrets.refresh();
      expect(await deliver("second-secret-value")).toBe(accepted);
      expect(await deliver("first-secret-value")).toBe(401);
    });

    it("keeps the values in use when a re-read fails", async () => {
      await officer.updateSecretProperties(
        "github-hook",
        (await reader.getSecret("github-hook")).properties.version as string,
        { enabled: false },
      );
      await secrets.refresh();
      expect(logs.join("")).toContain("cannot re-read a Key Vault secret");
      expect(await deliver("second-secret-value")).toBeLessThan(300);
    });
  });

  it("refuses to start when a secret cannot be read, naming it", async () => {
    const config = parseConfig(
      `callers:\n  - { id: ci, kind: github-webhook, secrets: [{ keyVault: "${emulator.keyVaultUrl}/secrets/never-set" }] }\n`,
      {},
      operationNames,
    );
    await expect(
      startKeyVaultSecrets(secretsIn(config), {
        credential: managedIdentity(emulator),
        azure: config.azure,
        logger: createLogger("silent"),
        trustedCaPem: emulator.caCertPem,
      }),
    ).rejects.toThrow(/never-set: the secret is not found in the vault/);
  });

  it("refuses, in the config, a URL that is not a vault's or that pins a version", () => {
    const parse = (url: string) => () =>
      parseConfig(
        `callers:\n  - { id: ci, kind: github-webhook, secrets: [{ keyVault: "${url}" }] }\n`,
        {},
        operationNames,
      );
    expect(parse("https://example.com/secrets/s")).toThrow(ConfigError);
    expect(parse("http://team.vault.azure.net/secrets/s")).toThrow(ConfigError);
    expect(parse("https://team.vault.azure.net/secrets/s/0123456789abcdef0123456789abcdef")).toThrow(
      /without a version/,
    );
    expect(parse("https://team.vault.azure.net/secrets/hook-secret")).not.toThrow();
  });
});
