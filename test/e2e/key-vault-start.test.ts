// armbridge as its own process with a secret in Key Vault: it refuses to start while the secret is
// missing, naming it, and starts and verifies webhooks with it once an operator has set it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Emulator } from "@armbridge/azure-emulator";
import type { SecretClient } from "@azure/keyvault-secrets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulatorWithVault } from "../../packages/azure-emulator/test/helpers/key-vault.ts";
import { githubDelivery } from "../helpers/github.ts";
import { startArmbridge } from "../helpers/processes.ts";

const SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";
const SECRET = "process-level-hook-secret";

describe("armbridge with a Key Vault secret", () => {
  let emulator: Emulator;
  let officer: SecretClient;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    ({ emulator, officer } = await startEmulatorWithVault(SUBSCRIPTION));
    dir = mkdtempSync(join(tmpdir(), "armbridge-kv-e2e-"));
    writeFileSync(join(dir, "ca.pem"), emulator.caCertPem);
    writeFileSync(
      join(dir, "config.yaml"),
      [
        "azure:",
        `  resourceManagerEndpoint: ${emulator.armUrl}`,
        `  imdsEndpoint: ${emulator.imdsUrl}`,
        `  caCertFile: ${join(dir, "ca.pem")}`,
        "callers:",
        `  - { id: ci, kind: github-webhook, secrets: [{ keyVault: "${emulator.keyVaultUrl}/secrets/hook" }] }`,
        "hooks:",
        "  - { id: deploy, callers: [ci] }",
        "",
      ].join("\n"),
    );
    env = { ARMBRIDGE_PORT: "0", ARMBRIDGE_DATA_DIR: dir };
  });
  afterAll(async () => {
    await emulator?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to start while the secret is missing, naming it", async () => {
    const start = startArmbridge(["--config", join(dir, "config.yaml")], env);
    await expect(start).rejects.toThrow(
      /exited with 1[\s\S]*secrets\/hook: the secret is not found in the vault/,
    );
  });

  it("starts once the secret is set, verifies with it, and never logs it", async () => {
    await officer.setSecret("hook", SECRET);
    const started = await startArmbridge(["--config", join(dir, "config.yaml")], env);
    try {
      const good = await fetch(`${started.url}/hooks/deploy`, await githubDelivery(SECRET, { ref: "main" }));
      expect(good.status).toBeLessThan(300);
      const bad = await fetch(`${started.url}/hooks/deploy`, await githubDelivery("not-the-secret", {}));
      expect(bad.status).toBe(401);
    } finally {
      started.child.kill("SIGTERM");
    }
    expect(await started.exit).toBe(0);
    expect(started.lines.join("\n")).not.toContain(SECRET);
  });
});
