// A config with one resourceGroup.ensure route per subscription (event `to-{i}`), and its deliveries.
import { expect } from "vitest";
import { githubDelivery } from "./github.ts";
import { type Harness, HOOK_SECRET } from "./harness.ts";

export const UNKNOWN_SUBSCRIPTION = "00000000-0000-0000-0000-00000000dead";

export function routeConfig(subscriptions: string[]): string {
  const routes = subscriptions.map(
    (sub, i) => `
  - id: r${i}
    trigger: { hook: deploy, events: [to-${i}] }
    actions:
      - operation: resourceGroup.ensure
        parameters: { subscriptionId: "${sub}", resourceGroupName: "{{ event.data.group }}", location: westeurope }`,
  );
  return `
callers: [{ id: ci, kind: github-webhook, secrets: [{ env: HOOK_SECRET }] }]
hooks: [{ id: deploy, callers: [ci] }]
grants: [{ caller: ci, operations: [resourceGroup.ensure], scopes: [${subscriptions.map((s) => `"/subscriptions/${s}"`).join(", ")}] }]
routes:${routes.join("")}
`;
}

export async function deliver(h: Harness, group: string, event = "to-0"): Promise<string> {
  const res = await h.request("/hooks/deploy", await githubDelivery(HOOK_SECRET, { group }, { event }));
  expect(res.status).toBe(202);
  return ((await res.json()) as { jobs: { id: string }[] }).jobs[0]?.id as string;
}
