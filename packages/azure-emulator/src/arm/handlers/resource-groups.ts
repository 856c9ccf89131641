// Resource groups: create/update, read, existence check, patch, list and asynchronous delete.
import { ArmError, resourceGroupNotFound } from "../arm-error.ts";
import type { ArmObject } from "../arm-store.ts";
import {
  type ArmContext,
  type ArmRequest,
  type ArmResult,
  acceptedOperation,
  objectBody,
  stringRecord,
} from "../context.ts";
import { LOCATIONS, normalizeLocation } from "../provider-registry.ts";

export function resourceGroupId(subscriptionId: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${name}`;
}

export function findResourceGroup(
  ctx: ArmContext,
  subscriptionId: string,
  name: string,
): ArmObject | undefined {
  return ctx.store.get(resourceGroupId(subscriptionId, name))?.body;
}

/** The resource group, which must exist and not be being deleted. */
export function requireResourceGroup(ctx: ArmContext, subscriptionId: string, name: string): ArmObject {
  const rg = findResourceGroup(ctx, subscriptionId, name);
  if (!rg) throw resourceGroupNotFound(name);
  return rg;
}

function assertNotDeleting(rg: ArmObject, name: string): void {
  if ((rg.properties as { provisioningState?: string }).provisioningState === "Deleting") {
    throw new ArmError(
      409,
      "ResourceGroupBeingDeleted",
      `The resource group '${name}' is in deprovisioning state and cannot perform this operation.`,
    );
  }
}

export function validLocation(location: unknown, what: string): string {
  if (typeof location !== "string" || location.trim() === "") {
    throw new ArmError(400, "LocationRequired", "The location property is required for this definition.");
  }
  const normalized = normalizeLocation(location);
  if (!LOCATIONS[normalized]) {
    throw new ArmError(
      400,
      what === "resourceGroup"
        ? "LocationNotAvailableForResourceGroup"
        : "LocationNotAvailableForResourceType",
      `The provided location '${location}' is not available for ${what}. List of available regions is '${Object.keys(LOCATIONS).join(",")}'.`,
    );
  }
  return normalized;
}

export function handleResourceGroup(
  ctx: ArmContext,
  req: ArmRequest,
  subscriptionId: string,
  name: string,
): ArmResult {
  const existing = findResourceGroup(ctx, subscriptionId, name);
  switch (req.method) {
    case "HEAD":
      return { status: existing ? 204 : 404 };
    case "GET":
      if (!existing) throw resourceGroupNotFound(name);
      return { status: 200, body: existing };
    case "PUT": {
      const body = objectBody(req);
      const location = validLocation(body.location, "resourceGroup");
      if (existing) {
        assertNotDeleting(existing, name);
        if (existing.location !== location) {
          throw new ArmError(
            409,
            "InvalidResourceGroupLocation",
            `Invalid resource group location '${location}'. The Resource group already exists in location '${String(existing.location)}'.`,
          );
        }
      }
      const rg: ArmObject = {
        id: existing?.id ?? resourceGroupId(subscriptionId, name),
        name: existing?.name ?? name,
        type: "Microsoft.Resources/resourceGroups",
        location,
        ...(body.managedBy ? { managedBy: String(body.managedBy) } : {}),
        tags: stringRecord(body.tags, "tags") ?? {},
        properties: { provisioningState: "Succeeded" },
      };
      ctx.store.set("resourceGroup", rg);
      ctx.store.recordEffect("PUT", rg.id);
      return { status: existing ? 200 : 201, body: rg };
    }
    case "PATCH": {
      if (!existing) throw resourceGroupNotFound(name);
      assertNotDeleting(existing, name);
      const body = objectBody(req);
      const tags = stringRecord(body.tags, "tags");
      const rg: ArmObject = { ...existing, ...(tags ? { tags } : {}) };
      if (body.managedBy !== undefined) rg.managedBy = body.managedBy;
      ctx.store.set("resourceGroup", rg);
      ctx.store.recordEffect("PATCH", rg.id);
      return { status: 200, body: rg };
    }
    case "DELETE": {
      if (!existing) throw resourceGroupNotFound(name);
      const id = existing.id;
      ctx.store.set("resourceGroup", { ...existing, properties: { provisioningState: "Deleting" } });
      return acceptedOperation(ctx, req, subscriptionId, () => {
        if (ctx.store.get(id)) {
          for (const removed of ctx.store.removeTree(id)) ctx.store.recordEffect("DELETE", removed);
        }
        return { status: "Succeeded" };
      });
    }
    default:
      throw new ArmError(405, "MethodNotAllowed", `The requested method '${req.method}' is not allowed.`);
  }
}

export function listResourceGroups(ctx: ArmContext, subscriptionId: string): ArmResult {
  const value = ctx.store
    .below(`/subscriptions/${subscriptionId}/resourceGroups`, "resourceGroup")
    .map((e) => e.body);
  return { status: 200, body: { value } };
}
