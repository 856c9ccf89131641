// Runs a provider action on a resource (`POST {id}/{action}`: a VM's start, powerOff, restart,
// deallocate, …). Grants must list the action by name. After a restart the action is sent again:
// provider actions are idempotent in effect (starting a running VM leaves it running).
import { z } from "zod";
import { invokeProviderAction } from "../azure/provider-action.ts";
import { plannedRequest } from "./dry-run.ts";
import { defineOperation } from "./operation.ts";
import { dryRun, EXAMPLE_VM } from "./params.ts";
import { PROVIDER_READ, resolveApiVersion, resourceRef } from "./resource-common.ts";

const input = z.strictObject({
  ...resourceRef,
  action: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/, "must be an action name such as 'start'"),
  body: z.record(z.string(), z.unknown()).optional(),
  dryRun,
});

export const resourceAction = defineOperation({
  name: "resource.action",
  summary: "Run a provider action on a resource (POST {id}/{action}), e.g. start or deallocate a VM.",
  kind: "write",
  input,
  example: { resourceId: EXAMPLE_VM, action: "start" },
  actions: ["{resourceType}/{action}/action"],
  subscriptionActions: PROVIDER_READ,
  scope: (p) => p.resourceId,
  providerAction: (p) => p.action,
  async execute(p, ctx) {
    const version = await resolveApiVersion(p, ctx);
    const path = `${p.resourceId}/${p.action}`;
    if (p.dryRun) return plannedRequest({ method: "POST", path, apiVersion: version, body: p.body });
    const result = await invokeProviderAction(
      ctx.arm.rest,
      { resourceId: p.resourceId, action: p.action, apiVersion: version, body: p.body },
      { signal: ctx.signal, pollIntervalMs: ctx.arm.pollIntervalMs },
    );
    return { id: p.resourceId, action: p.action, apiVersion: version, result };
  },
});
