// Merge and replace of tags: one PATCH of `{scope}/providers/Microsoft.Resources/tags/default` with
// ARM's Merge or Replace semantics, at any scope (subscription, resource group or resource).
import { z } from "zod";
import { plannedRequest } from "./dry-run.ts";
import { lroOptions, trackedWrite } from "./long-running.ts";
import { defineOperation } from "./operation.ts";
import { armScope, dryRun, subscriptionOfId, tags } from "./params.ts";

type TagPatch = "Merge" | "Replace";

const input = z.strictObject({ scope: armScope, tags, dryRun });

export function defineTagOperation(
  name: string,
  operation: TagPatch,
  summary: string,
  example: z.input<typeof input>,
) {
  return defineOperation({
    name,
    summary,
    kind: "write",
    input,
    example,
    actions: ["Microsoft.Resources/tags/write"],
    scope: (p) => p.scope,
    async execute(p, ctx) {
      const body = { operation, properties: { tags: p.tags } };
      const path = `${p.scope}/providers/Microsoft.Resources/tags/default`;
      if (p.dryRun) return plannedRequest({ method: "PATCH", path, body });
      const client = ctx.arm.resources(subscriptionOfId(p.scope));
      const result = await trackedWrite(
        ctx,
        () => client.tagsOperations.updateAtScope(p.scope, body, lroOptions(ctx)),
        (state) => ctx.arm.restorePoller(client, state, client.tagsOperations.updateAtScope, lroOptions(ctx)),
      );
      return { scope: p.scope, tags: result.properties?.tags ?? {} };
    },
  });
}
