// Reads a resource group.
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import { EXAMPLE_SUBSCRIPTION, resourceGroupName, subscriptionId } from "./params.ts";
import { resourceGroupView } from "./views.ts";

const input = z.strictObject({ subscriptionId, resourceGroupName });

export const resourceGroupGet = defineOperation({
  name: "resourceGroup.get",
  summary: "Read a resource group.",
  kind: "read",
  input,
  example: { subscriptionId: EXAMPLE_SUBSCRIPTION, resourceGroupName: "app-web" },
  actions: ["Microsoft.Resources/subscriptions/resourceGroups/read"],
  scope: (p) => `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroupName}`,
  async execute(p, { arm, signal }) {
    return resourceGroupView(
      await arm.resources(p.subscriptionId).resourceGroups.get(p.resourceGroupName, { abortSignal: signal }),
    );
  },
});
