// Deletes a resource group and everything in it: a long-running operation that survives restarts.
import { z } from "zod";
import { isRestError } from "../azure/errors.ts";
import { defineOperation } from "./operation.ts";
import { EXAMPLE_SUBSCRIPTION, resourceGroupName, subscriptionId } from "./params.ts";

const input = z.strictObject({ subscriptionId, resourceGroupName });

const groupId = (p: z.infer<typeof input>) =>
  `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroupName}`;

export const resourceGroupDelete = defineOperation({
  name: "resourceGroup.delete",
  summary: "Delete a resource group and all its resources (long-running; resumed after a restart).",
  kind: "delete",
  input,
  example: { subscriptionId: EXAMPLE_SUBSCRIPTION, resourceGroupName: "app-web" },
  actions: ["Microsoft.Resources/subscriptions/resourceGroups/delete"],
  scope: groupId,
  async execute(p, { arm, signal, resumeFrom, trackLongRunning }) {
    const client = arm.resources(p.subscriptionId);
    const options = { abortSignal: signal, updateIntervalInMs: arm.pollIntervalMs };
    const poller = resumeFrom
      ? arm.restorePoller(client, resumeFrom, client.resourceGroups.delete, options)
      : client.resourceGroups.delete(p.resourceGroupName, options);
    await trackLongRunning(poller);
    return { id: groupId(p), deleted: true };
  },
  async checkApplied(p, { arm, signal }) {
    try {
      await arm.resources(p.subscriptionId).resourceGroups.get(p.resourceGroupName, { abortSignal: signal });
      // Stryker disable next-line ObjectLiteral: `{}` reads as not applied too, but would not type-check (no TypeScript checker under TS 7)
      return { applied: false };
    } catch (err) {
      if (isRestError(err) && err.statusCode === 404) {
        return { applied: true, result: { id: groupId(p), deleted: true } };
      }
      throw err;
    }
  },
});
