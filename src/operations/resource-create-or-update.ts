// Creates or replaces a resource by id (PUT), followed to its terminal provisioning state.
import { restorePoller } from "@azure/arm-resources";
import { z } from "zod";
import { plannedRequest } from "./dry-run.ts";
import { lroOptions, trackedWrite } from "./long-running.ts";
import { defineOperation } from "./operation.ts";
import { dryRun, subscriptionOfId } from "./params.ts";
import { resolveApiVersion, resourceBody, resourceRef } from "./resource-common.ts";
import { resourceView } from "./views.ts";

const input = z.strictObject({ ...resourceRef, resource: resourceBody, dryRun });

export const resourceCreateOrUpdate = defineOperation({
  name: "resource.createOrUpdate",
  summary: "Create or replace a resource by id (PUT); long-running.",
  kind: "write",
  input,
  actions: ["{resourceType}/write"],
  scope: (p) => p.resourceId,
  async execute(p, ctx) {
    const version = await resolveApiVersion(p, ctx);
    if (p.dryRun)
      return plannedRequest({ method: "PUT", path: p.resourceId, apiVersion: version, body: p.resource });
    const client = ctx.arm.resources(subscriptionOfId(p.resourceId));
    const done = trackedWrite(
      ctx,
      () => client.resources.createOrUpdateById(p.resourceId, version, p.resource, lroOptions(ctx)),
      (state) => restorePoller(client, state, client.resources.createOrUpdateById, lroOptions(ctx)),
    );
    return { ...resourceView(await done), apiVersion: version };
  },
});
