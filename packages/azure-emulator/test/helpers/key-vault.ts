// An emulator whose vault has two principals, as the deployment assigns them: the managed identity
// is a Key Vault Secrets User (it reads), an operator is a Secrets Officer (it writes), each through
// the real @azure/keyvault-secrets client over HTTPS.
import { SecretClient } from "@azure/keyvault-secrets";
import { defaultIdentities, type Emulator, type EmulatorOptions, startEmulator } from "../../src/index.ts";
import { managedIdentity } from "./emulator-clients.ts";

export const SECRETS_OFFICER = {
  kind: "user" as const,
  principalId: "0ff1ce00-0000-4000-8000-000000000001",
  clientId: "0ff1ce00-0000-4000-8000-0000000000c1",
  roleAssignments: [],
};

export interface EmulatorWithVault {
  emulator: Emulator;
  /** Writes as an operator would. */
  officer: SecretClient;
  /** Reads as armbridge does: the VM's identity. */
  reader: SecretClient;
}

export async function startEmulatorWithVault(
  subscription: string,
  options: EmulatorOptions = {},
): Promise<EmulatorWithVault> {
  const [identity] = defaultIdentities([subscription]);
  if (!identity) throw new Error("no default identity");
  const emulator = await startEmulator({
    ...options,
    subscriptions: [subscription],
    identities: [identity, SECRETS_OFFICER],
    keyVault: {
      roles: {
        [identity.principalId]: "Key Vault Secrets User",
        [SECRETS_OFFICER.principalId]: "Key Vault Secrets Officer",
      },
    },
  });
  // The emulator listens on loopback, not on a *.vault.azure.net name its challenge could match.
  const clientOptions = {
    disableChallengeResourceVerification: true,
    tlsOptions: { ca: emulator.caCertPem },
  };
  return {
    emulator,
    officer: new SecretClient(
      emulator.keyVaultUrl,
      managedIdentity(emulator, SECRETS_OFFICER.clientId),
      clientOptions,
    ),
    reader: new SecretClient(emulator.keyVaultUrl, managedIdentity(emulator), clientOptions),
  };
}
