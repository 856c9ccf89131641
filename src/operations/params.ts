// Parameter schemas shared by operations, strict enough that a rendered template cannot smuggle a path.
import { z } from "zod";
import { parseScope } from "../kernel/arm-scope.ts";

export const subscriptionId = z.guid({ message: "must be a subscription GUID" });

/** ARM's resource group name rules: 1-90 of letters, digits, '_', '-', '.', '(', ')', not ending in '.'. */
export const resourceGroupName = z
  .string()
  .min(1)
  .max(90)
  .regex(/^[-\w._()]+$/, "may contain letters, digits, '_', '-', '.', '(' and ')'")
  .refine((s) => !s.endsWith("."), "must not end with '.'");

export const location = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-zA-Z0-9 ]+$/, "must be an Azure region name");

export const tags = z
  .record(z.string().min(1).max(512), z.string().max(256))
  .refine((t) => Object.keys(t).length <= 50, "at most 50 tags");

/** Any ARM scope (subscription, resource group or resource), strictly canonical. */
export const armScope = z.string().superRefine((value, ctx) => {
  const parsed = parseScope(value);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.reason });
});

/** The id of a provider resource: `/subscriptions/…/resourceGroups/…/providers/{namespace}/{type}/{name}…`. */
export const resourceId = armScope.refine(
  (value) => /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+/i.test(value),
  "must be the id of a resource inside a resource group",
);

export const apiVersion = z.string().regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, "must look like 2024-03-01");

/** Writes take `dryRun`: validate / what-if where ARM offers it, otherwise the request that would be sent. */
export const dryRun = z.boolean().default(false);

export const deploymentName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[-\w.()]+$/, "may contain letters, digits, '_', '-', '.', '(' and ')'");

/** Ids the operations' examples in the OpenAPI document use. */
export const EXAMPLE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";
export const EXAMPLE_GROUP = `/subscriptions/${EXAMPLE_SUBSCRIPTION}/resourceGroups/app-web`;
export const EXAMPLE_VM = `${EXAMPLE_GROUP}/providers/Microsoft.Compute/virtualMachines/web-vm`;

/** The subscription of an ARM id or scope (`/subscriptions/{id}/…`). */
export function subscriptionOfId(id: string): string {
  return id.split("/")[2] ?? "";
}
