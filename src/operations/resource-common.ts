// What the generic resource operations share: the id, an optional api-version, and its resolution.
import { z } from "zod";
import type { OperationContext } from "./operation.ts";
import { apiVersion, resourceId, subscriptionOfId } from "./params.ts";

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

export async function resolveApiVersion(
  p: { resourceId: string; apiVersion?: string | undefined },
  ctx: OperationContext,
): Promise<string> {
  return p.apiVersion ?? ctx.arm.apiVersionFor(subscriptionOfId(p.resourceId), p.resourceId);
}
