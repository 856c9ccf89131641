// Creates a resource group, or updates its tags if it exists (ARM refuses a change of location).
import { z } from "zod";
import { tagsAsSent } from "../azure/caller-tag.ts";
import { isRestError } from "../azure/errors.ts";
import { plannedRequest } from "./dry-run.ts";
import { defineOperation } from "./operation.ts";
import { dryRun, EXAMPLE_SUBSCRIPTION, location, resourceGroupName, subscriptionId, tags } from "./params.ts";
import { resourceGroupView } from "./views.ts";

const input = z.strictObject({
  subscriptionId,
  resourceGroupName,
  location,
  tags: tags.optional(),
  dryRun,
});

const sameLocation = (a: string, b: string) =>
  a.replace(/\s/g, "").toLowerCase() === b.replace(/\s/g, "").toLowerCase();

const sameTags = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

export const resourceGroupEnsure = defineOperation({
  name: "resourceGroup.ensure",
  summary: "Create or update a resource group with its location and tags.",
  kind: "write",
  input,
  example: {
    subscriptionId: EXAMPLE_SUBSCRIPTION,
    resourceGroupName: "app-web",
    location: "westeurope",
    tags: { owner: "platform" },
  },
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
  async checkApplied(p, { arm, signal }) {
    try {
      const group = await arm
        .resources(p.subscriptionId)
        .resourceGroups.get(p.resourceGroupName, { abortSignal: signal });
      // A PUT replaces the tags, so the earlier write holds only if the tags are exactly the ones it
      // sent: the asked ones, and the caller tag when `audit.callerTag` adds it.
      const applied =
        sameLocation(group.location, p.location) && sameTags(group.tags ?? {}, tagsAsSent(arm, p.tags));
      // Stryker disable next-line ObjectLiteral: `{}` reads as not applied too, but would not type-check (no TypeScript checker under TS 7)
      if (!applied) return { applied: false };
      return { applied: true, result: resourceGroupView(group) };
    } catch (err) {
      // Stryker disable next-line ObjectLiteral: `{}` reads as not applied too, but would not type-check (no TypeScript checker under TS 7)
      if (isRestError(err) && err.statusCode === 404) return { applied: false };
      throw err;
    }
  },
});
