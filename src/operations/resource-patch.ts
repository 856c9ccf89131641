// Updates part of a resource by id (PATCH), followed to its terminal state.
import { restorePoller } from "@azure/arm-resources";
import { z } from "zod";
import { plannedRequest } from "./dry-run.ts";
import { lroOptions, trackedWrite } from "./long-running.ts";
import { defineOperation } from "./operation.ts";
import { dryRun, subscriptionOfId } from "./params.ts";
import { resolveApiVersion, resourceBody, resourceRef } from "./resource-common.ts";
import { resourceView } from "./views.ts";

const input = z.strictObject({ ...resourceRef, patch: resourceBody, dryRun });

export const resourcePatch = defineOperation({
  name: "resource.patch",
  summary: "Update part of a resource by id (PATCH); long-running.",
  kind: "write",
  input,
  actions: ["{resourceType}/write"],
  scope: (p) => p.resourceId,
  async execute(p, ctx) {
    const version = await resolveApiVersion(p, ctx);
    if (p.dryRun)
      return plannedRequest({ method: "PATCH", path: p.resourceId, apiVersion: version, body: p.patch });
    const client = ctx.arm.resources(subscriptionOfId(p.resourceId));
    const done = trackedWrite(
      ctx,
      () => client.resources.updateById(p.resourceId, version, p.patch, lroOptions(ctx)),
      (state) => restorePoller(client, state, client.resources.updateById, lroOptions(ctx)),
    );
    return { ...resourceView(await done), apiVersion: version };
  },
});
