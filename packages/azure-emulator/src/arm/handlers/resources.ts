// Generic resources by id, their provider actions, and resource listings.
import { ArmError, resourceGroupNotFound, resourceNotFound } from "../arm-error.ts";
import type { ArmObject } from "../arm-store.ts";
import {
  type ArmContext,
  type ArmRequest,
  type ArmResult,
  acceptedOperation,
  objectBody,
} from "../context.ts";
import { buildResource, resolveType, resourceId } from "../resource-model.ts";
import { asyncWrite } from "./async-writes.ts";
import { findResourceGroup } from "./resource-groups.ts";

export interface ResourcePath {
  subscriptionId: string;
  resourceGroup: string;
  namespace: string;
  types: string[];
  names: string[];
}

function lookup(ctx: ArmContext, req: ArmRequest, p: ResourcePath) {
  const typePath = p.types.join("/");
  const rg = findResourceGroup(ctx, p.subscriptionId, p.resourceGroup);
  const type = resolveType(p.namespace, typePath, req.apiVersion, rg?.location as string | undefined);
  if (!rg) throw resourceGroupNotFound(p.resourceGroup);
  const id = resourceId(
    p.subscriptionId,
    rg.name as string,
    type.provider.namespace,
    type.info.resourceType.split("/"),
    p.names,
  );
  const name = p.names[p.names.length - 1] ?? "";
  if (p.names.length > 1) {
    const parentId = id.split("/").slice(0, -2).join("/");
    if (!ctx.store.get(parentId)) {
      throw new ArmError(
        404,
        "ParentResourceNotFound",
        `Can not perform requested operation on nested resource. Parent resource '${p.names.slice(0, -1).join("/")}' not found.`,
      );
    }
  }
  const existing = ctx.store.get(id)?.body;
  const notFound = () => resourceNotFound(type.fullType, p.names.join("/"), p.resourceGroup);
  return { type, id, name, existing, notFound };
}

export function handleResource(ctx: ArmContext, req: ArmRequest, p: ResourcePath): ArmResult {
  const { type, id, name, existing, notFound } = lookup(ctx, req, p);
  switch (req.method) {
    case "HEAD":
      return { status: existing ? 204 : 404 };
    case "GET":
      if (!existing) throw notFound();
      return { status: 200, body: existing };
    case "PUT": {
      const body = buildResource(id, name, type, objectBody(req), existing);
      const answered = asyncWrite(ctx, req, p.subscriptionId, type, existing, body);
      if (answered) return answered;
      ctx.store.set("resource", body);
      ctx.store.recordEffect("PUT", body.id);
      return { status: existing ? 200 : 201, body };
    }
    case "PATCH": {
      if (!existing) throw notFound();
      const patch = objectBody(req);
      const body: ArmObject = { ...existing };
      for (const key of ["tags", "sku", "identity", "kind", "plan"]) {
        if (patch[key] !== undefined) body[key] = patch[key];
      }
      if (patch.properties && typeof patch.properties === "object") {
        body.properties = { ...(existing.properties as object), ...(patch.properties as object) };
      }
      const answered = asyncWrite(ctx, req, p.subscriptionId, type, existing, body);
      if (answered) return answered;
      ctx.store.set("resource", body);
      ctx.store.recordEffect("PATCH", body.id);
      return { status: 200, body };
    }
    case "DELETE": {
      if (!existing) return { status: 204 };
      const answered = asyncWrite(ctx, req, p.subscriptionId, type, existing, undefined);
      if (answered) return answered;
      for (const removed of ctx.store.removeTree(existing.id)) ctx.store.recordEffect("DELETE", removed);
      return { status: 200 };
    }
    default:
      throw new ArmError(405, "MethodNotAllowed", `The requested method '${req.method}' is not allowed.`);
  }
}

export function handleResourceAction(
  ctx: ArmContext,
  req: ArmRequest,
  p: ResourcePath,
  action: string,
): ArmResult {
  const { type, existing, notFound } = lookup(ctx, req, p);
  const spec = type.info.actions?.find((a) => a.name.toLowerCase() === action.toLowerCase());
  if (!spec) {
    throw new ArmError(
      404,
      "InvalidResourceType",
      `The resource type '${type.info.resourceType}/${action}' could not be found in the namespace '${type.provider.namespace}' for api version '${req.apiVersion}'.`,
    );
  }
  if (!existing) throw notFound();
  const apply = () => {
    const current = ctx.store.get(existing.id)?.body;
    if (!current) return undefined;
    if (spec.powerState) {
      ctx.store.set("resource", {
        ...current,
        properties: { ...(current.properties as object), powerState: spec.powerState },
      });
    }
    ctx.store.recordEffect("POST", `${current.id}/${spec.name}`);
    return spec.result?.(current);
  };
  if (spec.mode === "sync") {
    const result = apply();
    return result === undefined ? { status: 200 } : { status: 200, body: result };
  }
  return acceptedOperation(ctx, req, p.subscriptionId, () => {
    apply();
    return { status: "Succeeded" };
  });
}

/** GET /subscriptions/{s}/resources and /subscriptions/{s}/resourceGroups/{rg}/resources. */
export function listResources(ctx: ArmContext, subscriptionId: string, resourceGroup?: string): ArmResult {
  let prefix = `/subscriptions/${subscriptionId}`;
  if (resourceGroup) {
    if (!findResourceGroup(ctx, subscriptionId, resourceGroup)) throw resourceGroupNotFound(resourceGroup);
    prefix += `/resourceGroups/${resourceGroup}`;
  }
  const value = ctx.store
    .below(prefix, "resource")
    .map((e) => e.body)
    .filter((b) => b.id.split("/").length === 9)
    .map(({ properties: _p, ...rest }) => rest);
  return { status: 200, body: { value } };
}
