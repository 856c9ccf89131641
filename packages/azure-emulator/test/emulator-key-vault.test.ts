// The emulator's Key Vault secrets API, met by the real @azure/keyvault-secrets client over HTTPS: the
// 401 challenge, the vault audience, RBAC roles, versions and disabled versions, Key Vault's errors.
import type { SecretClient } from "@azure/keyvault-secrets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.ts";
import { startEmulatorWithVault } from "./helpers/key-vault.ts";

let emulator: Emulator;
let officer: SecretClient;
let reader: SecretClient;

beforeAll(async () => {
  ({ emulator, officer, reader } = await startEmulatorWithVault("00000000-0000-0000-0000-000000000001"));
});
afterAll(async () => {
  await emulator?.stop();
});

describe("the emulated vault", () => {
  it("answers an unauthenticated request with Key Vault's challenge", async () => {
    const { request } = await import("node:https");
    const { status, challenge } = await new Promise<{ status?: number; challenge?: string }>(
      (resolve, reject) => {
        request(`${emulator.keyVaultUrl}/secrets/any?api-version=7.6`, { ca: emulator.caCertPem }, (res) => {
          res.resume();
          resolve({ status: res.statusCode, challenge: res.headers["www-authenticate"] });
        })
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
