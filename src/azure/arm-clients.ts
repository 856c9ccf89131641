// ARM clients for one managed identity: one client per subscription, sharing the credential, the
// trusted CA and the attribution policy, so every call carries the job's correlation ids.
import { readFileSync } from "node:fs";
import { ResourceManagementClient } from "@azure/arm-resources";
import { DeploymentsClient } from "@azure/arm-resourcesdeployments";
import type { TokenCredential } from "@azure/core-auth";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { Config } from "../config/schema.ts";
import { currentAttribution } from "../telemetry/attribution.ts";
import { createApiVersionResolver } from "./api-versions.ts";

export interface ArmClients {
  resources(subscriptionId: string): ResourceManagementClient;
  deployments(subscriptionId: string): DeploymentsClient;
  /** The api-version to use for a resource id: the newest stable one its provider registers, cached. */
  apiVersionFor(subscriptionId: string, resourceId: string): Promise<string>;
  /** Poll interval for long-running operations when ARM sends no Retry-After. */
  pollIntervalMs: number;
}

const attributionPolicy: PipelinePolicy = {
  name: "armbridgeAttribution",
  sendRequest(request, next) {
    const attribution = currentAttribution();
    if (attribution) {
      request.headers.set("x-ms-correlation-request-id", attribution.correlationId);
      request.headers.set("x-ms-client-request-id", attribution.clientRequestId);
    }
    return next(request);
  },
};

export function createArmClients(
  credential: TokenCredential,
  azure: Config["azure"],
  extraCaPem?: string,
): ArmClients {
  const ca = extraCaPem ?? (azure.caCertFile ? readFileSync(azure.caCertFile, "utf8") : undefined);
  const options = {
    endpoint: azure.resourceManagerEndpoint,
    credentials: { scopes: [`${azure.audience.replace(/\/$/, "")}/.default`] },
    // Trust is added for these clients only; the process-wide TLS verification stays untouched.
    ...(ca ? { tlsOptions: { ca } } : {}),
    additionalPolicies: [{ policy: attributionPolicy, position: "perCall" as const }],
    retryOptions: {
      maxRetries: azure.retry.maxRetries,
      retryDelayInMs: azure.retry.retryDelayMs,
      maxRetryDelayInMs: azure.retry.maxRetryDelayMs,
    },
  };
  const resources = new Map<string, ResourceManagementClient>();
  const deployments = new Map<string, DeploymentsClient>();
  const resolveApiVersion = createApiVersionResolver();
  const clients: ArmClients = {
    pollIntervalMs: azure.pollIntervalMs,
    apiVersionFor: (subscriptionId, resourceId) =>
      resolveApiVersion(clients.resources(subscriptionId), resourceId),
    resources(subscriptionId) {
      const key = subscriptionId.toLowerCase();
      let client = resources.get(key);
      if (!client) {
        client = new ResourceManagementClient(credential, subscriptionId, options);
        resources.set(key, client);
      }
      return client;
    },
    deployments(subscriptionId) {
      const key = subscriptionId.toLowerCase();
      let client = deployments.get(key);
      if (!client) {
        client = new DeploymentsClient(credential, subscriptionId, options);
        deployments.set(key, client);
      }
      return client;
    },
  };
  return clients;
}
