// Resolves the api-version for a resource type from the provider's registered versions, cached,
// so a route can name a resource without pinning an api-version.
import type { ResourceManagementClient } from "@azure/arm-resources";
import { resourceTypeOf } from "../kernel/arm-scope.ts";
import { type Clock, systemClock } from "../kernel/clock.ts";

export type ApiVersionResolver = (client: ResourceManagementClient, resourceId: string) => Promise<string>;

export function createApiVersionResolver(
  ttlMs = 60 * 60 * 1000,
  now: Clock = systemClock,
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
