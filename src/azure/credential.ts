// The managed identity credential: system-assigned, or user-assigned by client id or resource id.
// @azure/identity is loaded on the first token request, not at start: nothing before the first job
// (or readiness probe) needs a token, and loading it is a large part of a cold start.
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import type { Config } from "../config/schema.ts";

export function createManagedIdentityCredential(azure: Config["azure"]): TokenCredential {
  if (azure.imdsEndpoint) {
    // The SDK takes an IMDS override only from this variable (used by pod identity and local IMDS stand-ins).
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = azure.imdsEndpoint;
  }
  const { clientId, resourceId } = azure.identity;
  let credential: Promise<TokenCredential> | undefined;
  const load = async (): Promise<TokenCredential> => {
    const { ManagedIdentityCredential } = await import("@azure/identity");
    if (clientId) return new ManagedIdentityCredential({ clientId });
    if (resourceId) return new ManagedIdentityCredential({ resourceId });
    return new ManagedIdentityCredential();
  };
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      credential ??= load();
      return (await credential).getToken(scopes, options);
    },
  };
}
