// Creates a resource group, or updates its location-compatible properties and tags if it exists.
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import { location, resourceGroupName, subscriptionId, tags } from "./params.ts";

const input = z.strictObject({
  subscriptionId,
  resourceGroupName,
  location,
  tags: tags.optional(),
});

export const resourceGroupEnsure = defineOperation({
  name: "resourceGroup.ensure",
  summary: "Create or update a resource group with its location and tags.",
  kind: "write",
  input,
  actions: ["Microsoft.Resources/subscriptions/resourceGroups/write"],
  scope: (p) => `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroupName}`,
  async execute(p, { arm, signal }) {
    const group = await arm
      .resources(p.subscriptionId)
      .resourceGroups.createOrUpdate(
        p.resourceGroupName,
        { location: p.location, ...(p.tags ? { tags: p.tags } : {}) },
        { abortSignal: signal },
      );
    return {
      id: group.id,
      name: group.name,
      location: group.location,
      tags: group.tags ?? {},
      provisioningState: group.properties?.provisioningState,
    };
  },
});
