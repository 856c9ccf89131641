// Creates a resource group, or updates its tags if it exists (ARM refuses a change of location).
import { z } from "zod";
import { plannedRequest } from "./dry-run.ts";
import { defineOperation } from "./operation.ts";
import { dryRun, location, resourceGroupName, subscriptionId, tags } from "./params.ts";
import { resourceGroupView } from "./views.ts";

const input = z.strictObject({
  subscriptionId,
  resourceGroupName,
  location,
  tags: tags.optional(),
  dryRun,
});

export const resourceGroupEnsure = defineOperation({
  name: "resourceGroup.ensure",
  summary: "Create or update a resource group with its location and tags.",
  kind: "write",
  input,
  actions: ["Microsoft.Resources/subscriptions/resourceGroups/write"],
  scope: (p) => `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroupName}`,
  async execute(p, { arm, signal }) {
    const body = { location: p.location, ...(p.tags ? { tags: p.tags } : {}) };
    if (p.dryRun) {
      return plannedRequest({
        method: "PUT",
        path: `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroupName}`,
        body,
      });
    }
    const group = await arm
      .resources(p.subscriptionId)
      .resourceGroups.createOrUpdate(p.resourceGroupName, body, { abortSignal: signal });
    return resourceGroupView(group);
  },
});
