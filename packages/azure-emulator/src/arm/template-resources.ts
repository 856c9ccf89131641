// One template resource, located (group, subscription or extension scope) and written to a store view.
import { ArmError, type ArmErrorDetail } from "./arm-error.ts";
import type { ArmObject, EntryKind } from "./arm-store.ts";
import { checkProperties, globallyUnique } from "./property-rules.ts";
import { LOCATIONS, normalizeLocation } from "./provider-registry.ts";
import { buildResource, resolveType } from "./resource-model.ts";
import type { StoreView } from "./staged-store.ts";

export interface DeployTarget {
  subscriptionId: string;
  resourceGroup?: { id: string; name: string; location: string };
}

/** A resource a deployment writes (or, in Complete mode, removes), with its state before. */
export interface Change {
  id: string;
  kind: EntryKind;
  type: string;
  apiVersion: string;
  before?: ArmObject;
  after?: ArmObject;
}

/** A resource that cannot be deployed: preflight reports it, a running deployment fails with it. */
export class ResourceError extends Error {
  readonly detail: ArmErrorDetail;
  /** The errors behind it are already reported (a failed nested deployment's own). */
  readonly reported: boolean;
  constructor(detail: ArmErrorDetail, options: { reported?: boolean } = {}) {
    super(detail.message);
    this.detail = detail;
    this.reported = options.reported ?? false;
  }
}

export interface Located {
  id: string;
  namespace: string;
  typePath: string;
  names: string[];
  /** For an extension resource: the id of the resource it extends. */
  scopeId?: string;
}

export interface WriteEnv {
  store: StoreView;
  apply: boolean;
  authorize: (action: string, scope: string) => void;
}

function resourceError(code: string, message: string, target?: string): ResourceError {
  return new ResourceError({ code, message, ...(target ? { target } : {}) });
}

/** Where a template resource lives: `{target}/providers/...`, or below its `scope` when it has one. */
export function locate(type: string, name: string, scope: string | undefined, target: DeployTarget): Located {
  const [namespace = "", ...types] = type.split("/");
  const names = name.split("/");
  if (types.length === 0 || names.length !== types.length) {
    throw resourceError(
      "InvalidTemplate",
      `The resource name '${name}' and type '${type}' must have the same number of segments.`,
    );
  }
  const tail = types.map((t, i) => `${t}/${names[i]}`).join("/");
  const groupId = target.resourceGroup?.id ?? `/subscriptions/${target.subscriptionId}`;
  let scopeId: string | undefined;
  if (scope !== undefined) {
    scopeId = scope.startsWith("/") ? scope.replace(/\/+$/, "") : `${groupId}/providers/${scope}`;
  }
  const id =
    type.toLowerCase() === "microsoft.resources/resourcegroups"
      ? `/subscriptions/${target.subscriptionId}/resourceGroups/${name}`
      : `${scopeId ?? groupId}/providers/${namespace}/${tail}`;
  return { id, namespace, typePath: types.join("/"), names, ...(scopeId ? { scopeId } : {}) };
}

function writeResourceGroup(r: Record<string, unknown>, at: Located, target: DeployTarget, env: WriteEnv) {
  if (target.resourceGroup) {
    throw resourceError(
      "InvalidResourceType",
      "Resource groups can be deployed only at subscription scope.",
      at.id,
    );
  }
  const location = normalizeLocation(String(r.location ?? ""));
  if (!LOCATIONS[location]) {
    throw resourceError("LocationRequired", `The location '${String(r.location)}' is not valid.`, at.id);
  }
  env.authorize("Microsoft.Resources/subscriptions/resourceGroups/write", at.id);
  const existing = env.store.get(at.id)?.body;
  const body: ArmObject = {
    id: existing?.id ?? at.id,
    name: existing?.name ?? at.names[0],
    type: "Microsoft.Resources/resourceGroups",
    location,
    tags: r.tags ?? {},
    properties: { provisioningState: "Succeeded" },
  };
  env.store.set("resourceGroup", body);
  env.store.recordEffect("PUT", body.id);
  return {
    id: body.id,
    kind: "resourceGroup" as const,
    type: String(body.type),
    before: existing,
    after: body,
  };
}

/** Writes one evaluated template resource to the store view; throws ResourceError (or 403). */
export function writeResource(
  r: Record<string, unknown>,
  at: Located,
  target: DeployTarget,
  env: WriteEnv,
): Change {
  const apiVersion = String(r.apiVersion ?? "");
  if (`${at.namespace}/${at.typePath}`.toLowerCase() === "microsoft.resources/resourcegroups") {
    return { ...writeResourceGroup(r, at, target, env), apiVersion };
  }
  if (!target.resourceGroup && !at.scopeId) {
    throw resourceError(
      "InvalidResourceType",
      `The resource type '${at.namespace}/${at.typePath}' cannot be deployed at subscription scope by the emulator; deploy it to a resource group.`,
      at.id,
    );
  }
  let type: ReturnType<typeof resolveType>;
  try {
    type = resolveType(at.namespace, at.typePath, apiVersion, r.location as string | undefined);
  } catch (error) {
    if (error instanceof ArmError) throw resourceError(error.code, error.message, at.id);
    throw error;
  }
  if (at.scopeId && !type.info.extension) {
    throw resourceError(
      "InvalidTemplate",
      `The resource type '${type.fullType}' is not an extension resource type; it cannot have a 'scope'.`,
      at.id,
    );
  }
  const parent = at.scopeId ?? (at.names.length > 1 ? at.id.split("/").slice(0, -2).join("/") : undefined);
  if (parent && !env.store.get(parent)) {
    throw resourceError(
      at.scopeId ? "ResourceNotFound" : "ParentResourceNotFound",
      `The Resource '${parent}' was not found; '${at.id}' cannot be deployed below it.`,
      at.id,
    );
  }
  // ARM checks the caller's permission for every resource before the providers' preflight.
  env.authorize(`${type.fullType}/write`, at.id);
  const name = at.names[at.names.length - 1] ?? "";
  const invalid = checkProperties(type.fullType, name, r);
  if (invalid) throw new ResourceError(invalid);
  if (env.apply && globallyUnique(type.fullType)) {
    const suffix = `/${at.typePath}/${name}`.toLowerCase();
    const taken = env.store
      .below("/subscriptions", "resource")
      .some(
        (e) => e.body.id.toLowerCase().endsWith(suffix) && e.body.id.toLowerCase() !== at.id.toLowerCase(),
      );
    if (taken)
      throw resourceError(
        "StorageAccountAlreadyTaken",
        `The storage account named ${name} is already taken.`,
        at.id,
      );
  }
  const existing = env.store.get(at.id)?.body;
  let body: ArmObject;
  try {
    body = buildResource(at.id, name, type, r, existing);
  } catch (error) {
    if (error instanceof ArmError) throw resourceError(error.code, error.message, at.id);
    throw error;
  }
  env.store.set("resource", body);
  env.store.recordEffect("PUT", body.id);
  return { id: body.id, kind: "resource", type: type.fullType, apiVersion, before: existing, after: body };
}
