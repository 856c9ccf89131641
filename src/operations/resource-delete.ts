// Deletes a resource by id, followed until ARM reports it gone.
import { z } from "zod";
import { plannedRequest } from "./dry-run.ts";
import { lroOptions, trackedWrite } from "./long-running.ts";
import { defineOperation } from "./operation.ts";
import { dryRun, EXAMPLE_GROUP, subscriptionOfId } from "./params.ts";
import { PROVIDER_READ, resolveApiVersion, resourceRef } from "./resource-common.ts";

const input = z.strictObject({ ...resourceRef, dryRun });

export const resourceDelete = defineOperation({
  name: "resource.delete",
  summary: "Delete a resource by id; long-running.",
  kind: "delete",
  input,
  example: { resourceId: `${EXAMPLE_GROUP}/providers/Microsoft.Storage/storageAccounts/appwebdata` },
  actions: ["{resourceType}/delete"],
  subscriptionActions: PROVIDER_READ,
  scope: (p) => p.resourceId,
  async execute(p, ctx) {
    const version = await resolveApiVersion(p, ctx);
    if (p.dryRun) return plannedRequest({ method: "DELETE", path: p.resourceId, apiVersion: version });
    const client = ctx.arm.resources(subscriptionOfId(p.resourceId));
    const done = trackedWrite(
      ctx,
      () => client.resources.deleteById(p.resourceId, version, lroOptions(ctx)),
      (state) => ctx.arm.restorePoller(client, state, client.resources.deleteById, lroOptions(ctx)),
    );
    await done;
    return { id: p.resourceId, deleted: true };
  },
});
