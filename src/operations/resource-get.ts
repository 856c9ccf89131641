// Reads a resource by id.
import { z } from "zod";
import { defineOperation } from "./operation.ts";
import { EXAMPLE_VM, subscriptionOfId } from "./params.ts";
import { PROVIDER_READ, resolveApiVersion, resourceRef } from "./resource-common.ts";
import { resourceView } from "./views.ts";

const input = z.strictObject({ ...resourceRef });

export const resourceGet = defineOperation({
  name: "resource.get",
  summary: "Read a resource by id.",
  kind: "read",
  input,
  example: { resourceId: EXAMPLE_VM },
  actions: ["{resourceType}/read"],
  subscriptionActions: PROVIDER_READ,
  scope: (p) => p.resourceId,
  async execute(p, ctx) {
    const version = await resolveApiVersion(p, ctx);
    const resource = await ctx.arm
      .resources(subscriptionOfId(p.resourceId))
      .resources.getById(p.resourceId, version, { abortSignal: ctx.signal });
    return { ...resourceView(resource), apiVersion: version };
  },
});
