// The typed client `armbridge call` uses: openapi-fetch over the types generated from openapi.yaml
// (examples/client/src/armbridge.ts, the same types a service uses), authenticated with a bearer token.
import createClient from "openapi-fetch";
import type { components, paths } from "../../examples/client/src/armbridge.ts";

export type Job = components["schemas"]["Job"];
export type Problem = components["schemas"]["Problem"];

export function createArmbridgeClient(baseUrl: string, token: string) {
  return createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${token}`, "User-Agent": "armbridge-cli" },
  });
}

export type ArmbridgeClient = ReturnType<typeof createArmbridgeClient>;
