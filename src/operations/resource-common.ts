// What the generic resource operations share: the id, an optional api-version, and its resolution.
import { z } from "zod";
import { plannedRequest } from "./dry-run.ts";
import { lroOptions, trackedWrite } from "./long-running.ts";
import { defineOperation, type OperationContext } from "./operation.ts";
import { apiVersion, dryRun, resourceId, subscriptionOfId } from "./params.ts";
import { resourceView } from "./views.ts";

export const resourceRef = {
  resourceId,
  /** Omitted: the newest stable version the provider registers for the type, cached. */
  apiVersion: apiVersion.optional(),
};

/** The body of a generic resource write; ARM and the provider validate `properties` further. */
export const resourceBody = z.strictObject({
  location: z.string().min(1).max(64).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  kind: z.string().max(64).optional(),
  sku: z.record(z.string(), z.unknown()).optional(),
  identity: z.record(z.string(), z.unknown()).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});

const resourceWriteInput = z.strictObject({ ...resourceRef, body: resourceBody, dryRun });

/** Resolving an api-version reads the provider's registration, at the subscription. */
export const PROVIDER_READ = ["Microsoft.Resources/subscriptions/providers/read"] as const;

export async function resolveApiVersion(
  p: { resourceId: string; apiVersion?: string | undefined },
  ctx: OperationContext,
): Promise<string> {
  return p.apiVersion ?? ctx.arm.apiVersionFor(subscriptionOfId(p.resourceId), p.resourceId);
}

/**
 * The two body-carrying writes by id, PUT and PATCH: same input shape, same long-running tracking;
 * they differ in the SDK method and in what the body means (the whole resource, or a change).
 */
export function defineResourceWrite(spec: {
  name: string;
  summary: string;
  method: "PUT" | "PATCH";
  example: z.input<typeof resourceWriteInput>;
}) {
  return defineOperation({
    name: spec.name,
    summary: spec.summary,
    kind: "write",
    input: resourceWriteInput,
    example: spec.example,
    actions: ["{resourceType}/write"],
    subscriptionActions: PROVIDER_READ,
    scope: (p) => p.resourceId,
    async execute(p, ctx) {
      const version = await resolveApiVersion(p, ctx);
      if (p.dryRun)
        return plannedRequest({ method: spec.method, path: p.resourceId, apiVersion: version, body: p.body });
      const client = ctx.arm.resources(subscriptionOfId(p.resourceId));
      const method =
        spec.method === "PUT" ? client.resources.createOrUpdateById : client.resources.updateById;
      const resource = await trackedWrite(
        ctx,
        () => method(p.resourceId, version, p.body, lroOptions(ctx)),
        (state) => ctx.arm.restorePoller(client, state, method, lroOptions(ctx)),
      );
      return { ...resourceView(resource), apiVersion: version };
    },
  });
}
