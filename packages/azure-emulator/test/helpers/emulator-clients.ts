// Real Azure SDK clients wired to a running emulator: IMDS through AZURE_POD_IDENTITY_AUTHORITY_HOST, ARM over HTTPS
// trusting the emulator's certificate per client (tlsOptions.ca), never by disabling verification.
import https from "node:https";
import type { Emulator } from "@armbridge/azure-emulator";
import { ResourceManagementClient } from "@azure/arm-resources";
import { DeploymentsClient } from "@azure/arm-resourcesdeployments";
import { isRestError, type RestError } from "@azure/core-rest-pipeline";
import { ManagedIdentityCredential } from "@azure/identity";

export const FAST_RETRY = { maxRetries: 4, retryDelayInMs: 20, maxRetryDelayInMs: 200 };

export function managedIdentity(emulator: Emulator, clientId?: string): ManagedIdentityCredential {
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = emulator.imdsUrl;
  return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
}

export function armClients(
  emulator: Emulator,
  credential: ManagedIdentityCredential,
  subscriptionId?: string,
) {
  const options = {
    endpoint: emulator.armUrl,
    tlsOptions: { ca: emulator.caCertPem },
    retryOptions: FAST_RETRY,
  };
  const sub = subscriptionId ?? emulator.subscriptions[0] ?? "";
  return {
    resources: new ResourceManagementClient(credential, sub, options),
    deployments: new DeploymentsClient(credential, sub, options),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

/** A plain HTTPS request to the emulator's ARM endpoint, trusting its CA explicitly. */
export function armRequest(
  emulator: Emulator,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<RawResponse> {
  const url = new URL(path, emulator.armUrl);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: emulator.caCertPem,
        headers: {
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
          ...(payload ? { "Content-Type": "application/json" } : {}),
          ...options.headers,
        },
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** A token straight from the emulator's IMDS endpoint, for any resource. */
export async function imdsToken(emulator: Emulator, resource: string, query = ""): Promise<Response> {
  const url = `${emulator.imdsUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(resource)}${query}`;
  return fetch(url, { headers: { Metadata: "true" } });
}

/** The RestError a promise rejects with; fails when it resolves or rejects with something else. */
export async function rejection(promise: Promise<unknown>): Promise<RestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRestError(error)) throw new Error(`expected a RestError, got ${String(error)}`);
  return error;
}
