// Resolves resource types against the registry and builds the ARM objects stored for them.
import { ArmError } from "./arm-error.ts";
import type { ArmObject } from "./arm-store.ts";
import {
  findProvider,
  findResourceType,
  LOCATIONS,
  normalizeLocation,
  type ProviderInfo,
  type ResourceTypeInfo,
} from "./provider-registry.ts";

export interface ResolvedType {
  provider: ProviderInfo;
  info: ResourceTypeInfo;
  /** "Microsoft.Compute/virtualMachines" in registry casing. */
  fullType: string;
}

/** Validates namespace, type and api-version as ARM's front door does; throws ARM errors. */
export function resolveType(
  namespace: string,
  typePath: string,
  apiVersion: string,
  location?: string,
): ResolvedType {
  const provider = findProvider(namespace);
  const where = location ? normalizeLocation(location) : "westus";
  // Microsoft.Resources is ARM's own, but for deployment scripts, which a provider serves.
  const ownType =
    provider?.namespace === "Microsoft.Resources" && typePath.toLowerCase() !== "deploymentscripts";
  if (!provider || ownType) {
    throw new ArmError(
      400,
      "NoRegisteredProviderFound",
      `No registered resource provider found for location '${where}' and API version '${apiVersion}' for type '${typePath}'. The supported namespaces are '${["Microsoft.Compute", "Microsoft.Storage", "Microsoft.Web", "Microsoft.Network", "Microsoft.KeyVault"].join(", ")}'.`,
    );
  }
  const info = findResourceType(provider, typePath);
  if (!info) {
    throw new ArmError(
      400,
      "InvalidResourceType",
      `The resource type '${typePath}' could not be found in the namespace '${provider.namespace}' for api version '${apiVersion}'. The supported resource types are '${provider.resourceTypes.map((t) => t.resourceType).join(", ")}'.`,
    );
  }
  if (!info.apiVersions.some((v) => v.toLowerCase() === apiVersion.toLowerCase())) {
    throw new ArmError(
      400,
      "NoRegisteredProviderFound",
      `No registered resource provider found for location '${where}' and API version '${apiVersion}' for type '${info.resourceType}'. The supported api-versions are '${info.apiVersions.join(", ")}'. The supported locations are '${Object.keys(LOCATIONS).join(", ")}'.`,
    );
  }
  return { provider, info, fullType: `${provider.namespace}/${info.resourceType}` };
}

export function resourceId(
  subscriptionId: string,
  resourceGroup: string,
  namespace: string,
  types: string[],
  names: string[],
): string {
  const tail = types.map((t, i) => `${t}/${names[i] ?? ""}`).join("/");
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${namespace}/${tail}`;
}

/** The object stored for a PUT: the request's shape plus ARM-owned fields. */
export function buildResource(
  id: string,
  name: string,
  type: ResolvedType,
  input: Record<string, unknown>,
  existing: ArmObject | undefined,
): ArmObject {
  const inputProps = (input.properties ?? {}) as Record<string, unknown>;
  const previous = (existing?.properties ?? {}) as Record<string, unknown>;
  const runtime = existing
    ? Object.fromEntries(["powerState", "state"].filter((k) => k in previous).map((k) => [k, previous[k]]))
    : (type.info.initialProperties ?? {});
  const body: ArmObject = { id: existing?.id ?? id, name: existing?.name ?? name, type: type.fullType };
  if (type.info.tracked) {
    if (typeof input.location !== "string" || !input.location) {
      throw new ArmError(400, "LocationRequired", "The location property is required for this definition.");
    }
    body.location = normalizeLocation(input.location);
    body.tags = input.tags ?? {};
  }
  for (const key of ["kind", "sku", "identity", "plan", "zones", "extendedLocation"]) {
    if (input[key] !== undefined) body[key] = input[key];
  }
  body.properties = { ...runtime, ...inputProps, provisioningState: "Succeeded" };
  return body;
}

/** Properties that describe configuration, for what-if comparisons (runtime state excluded). */
export function comparable(body: Record<string, unknown>): Record<string, unknown> {
  const props = { ...((body.properties ?? {}) as Record<string, unknown>) };
  delete props.provisioningState;
  delete props.powerState;
  delete props.state;
  return {
    location: body.location,
    tags: body.tags ?? {},
    sku: body.sku,
    kind: body.kind,
    properties: props,
  };
}
