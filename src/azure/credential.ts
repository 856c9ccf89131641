// The managed identity credential: system-assigned, or user-assigned by client id or resource id.

import type { TokenCredential } from "@azure/core-auth";
import { ManagedIdentityCredential } from "@azure/identity";
import type { Config } from "../config/schema.ts";

export function createManagedIdentityCredential(azure: Config["azure"]): TokenCredential {
  if (azure.imdsEndpoint) {
    // The SDK takes an IMDS override only from this variable (used by the emulator and pod identity).
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = azure.imdsEndpoint;
  }
  const { clientId, resourceId } = azure.identity;
  if (clientId) return new ManagedIdentityCredential({ clientId });
  if (resourceId) return new ManagedIdentityCredential({ resourceId });
  return new ManagedIdentityCredential();
}
