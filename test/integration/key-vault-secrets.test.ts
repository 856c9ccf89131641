// Secrets from Key Vault: a webhook caller whose secret is rotated in the emulator's vault while
// armbridge runs, read with the real SDK over HTTPS.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Emulator } from "@armbridge/azure-emulator";
import type { SecretClient } from "@azure/keyvault-secrets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managedIdentity } from "../../packages/azure-emulator/test/helpers/emulator-clients.ts";
import { startEmulatorWithVault } from "../../packages/azure-emulator/test/helpers/key-vault.ts";
import { type KeyVaultSecrets, startKeyVaultSecrets } from "../../src/azure/key-vault-secrets.ts";
import { ConfigError, parseConfig } from "../../src/config/load.ts";
import { secretsIn } from "../../src/config/secret.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import { githubDelivery } from "../helpers/github.ts";

const SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";

describe("Key Vault secrets", () => {
  let emulator: Emulator;
  let officer: SecretClient;
  let reader: SecretClient;

  beforeAll(async () => {
    ({ emulator, officer, reader } = await startEmulatorWithVault(SUBSCRIPTION));
  });
  afterAll(async () => {
    await emulator?.stop();
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
