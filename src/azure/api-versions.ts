// Resolves the api-version for a resource type from the provider's registered versions, cached,
// so a route can name a resource without pinning an api-version.
import type { ResourceManagementClient } from "@azure/arm-resources";

export interface ResourceType {
  namespace: string;
  /** The type path below the namespace, e.g. `virtualMachines` or `sites/slots`. */
  type: string;
}

/** The provider namespace and type of a resource id (`…/providers/Microsoft.Web/sites/a/slots/b`). */
export function resourceTypeOf(resourceId: string): ResourceType | undefined {
  const segments = resourceId.split("/").filter(Boolean);
  const at = segments.map((s) => s.toLowerCase()).lastIndexOf("providers");
  const rest = at >= 0 ? segments.slice(at + 1) : [];
  if (rest.length < 3 || rest.length % 2 === 0) return undefined;
  const [namespace, ...pairs] = rest;
  const types = pairs.filter((_, i) => i % 2 === 0);
  return { namespace: namespace as string, type: types.join("/") };
}

export type ApiVersionResolver = (client: ResourceManagementClient, resourceId: string) => Promise<string>;

export function createApiVersionResolver(
  ttlMs = 60 * 60 * 1000,
  now: () => number = Date.now,
): ApiVersionResolver {
  const cache = new Map<string, { version: string; until: number }>();
  return async (client, resourceId) => {
    const rt = resourceTypeOf(resourceId);
    if (!rt) throw new ApiVersionError(`'${resourceId}' is not the id of a provider resource`);
    const key = `${rt.namespace}/${rt.type}`.toLowerCase();
    const hit = cache.get(key);
    if (hit && hit.until > now()) return hit.version;
    const provider = await client.providers.get(rt.namespace);
    const match = provider.resourceTypes?.find(
      (t) => t.resourceType?.toLowerCase() === rt.type.toLowerCase(),
    );
    const versions = match?.apiVersions ?? [];
    const version = latest(versions);
    if (!version)
      throw new ApiVersionError(`provider ${rt.namespace} registers no api-version for type '${rt.type}'`);
    cache.set(key, { version, until: now() + ttlMs });
    return version;
  };
}

/** The newest stable version, or the newest preview when there is no stable one. */
function latest(versions: readonly string[]): string | undefined {
  const sorted = [...versions].sort().reverse();
  return sorted.find((v) => !v.includes("preview")) ?? sorted[0];
}

export class ApiVersionError extends Error {
  override name = "ApiVersionError";
}
