// Removes tags by key at a scope. ARM's Delete patch matches name/value pairs, so the current values
// are read first; keys that are not there are reported, not an error.
import { z } from "zod";
import { plannedRequest } from "./dry-run.ts";
import { lroOptions, trackedWrite } from "./long-running.ts";
import { defineOperation } from "./operation.ts";
import { armScope, dryRun, EXAMPLE_GROUP, subscriptionOfId } from "./params.ts";

const input = z.strictObject({
  scope: armScope,
  keys: z.array(z.string().min(1).max(512)).min(1).max(50),
  dryRun,
});

export const tagsDelete = defineOperation({
  name: "tags.delete",
  summary: "Remove tags by key at a scope.",
  kind: "write",
  input,
  example: { scope: EXAMPLE_GROUP, keys: ["costCenter"] },
  actions: ["Microsoft.Resources/tags/read", "Microsoft.Resources/tags/write"],
  scope: (p) => p.scope,
  async execute(p, ctx) {
    const arm = ctx.arm.resources(subscriptionOfId(p.scope));
    const client = arm.tagsOperations;
    const restore = (state: string) =>
      ctx.arm.restorePoller(arm, state, client.updateAtScope, lroOptions(ctx));
    if (ctx.resumeFrom) {
      // A restart while the patch was being polled: finish that one, do not compute a new one.
      const result = await trackedWrite(ctx, () => restore(ctx.resumeFrom as string), restore);
      return { scope: p.scope, tags: result.properties?.tags ?? {}, absent: [] };
    }
    const current = (await client.getAtScope(p.scope, { abortSignal: ctx.signal })).properties?.tags ?? {};
    const remove = Object.fromEntries(Object.entries(current).filter(([k]) => p.keys.includes(k)));
    const absent = p.keys.filter((k) => !(k in remove));
    const body = { operation: "Delete" as const, properties: { tags: remove } };
    const path = `${p.scope}/providers/Microsoft.Resources/tags/default`;
    if (p.dryRun) return { ...plannedRequest({ method: "PATCH", path, body }), absent };
    if (Object.keys(remove).length === 0) return { scope: p.scope, tags: current, absent };
    const result = await trackedWrite(
      ctx,
      () => client.updateAtScope(p.scope, body, lroOptions(ctx)),
      restore,
    );
    return { scope: p.scope, tags: result.properties?.tags ?? {}, absent };
  },
});
