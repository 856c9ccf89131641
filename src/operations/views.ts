// What operations put in a job's result: the parts of ARM's answer a caller acts on.
import type { GenericResource, ResourceGroup } from "@azure/arm-resources";

export function resourceGroupView(group: ResourceGroup) {
  return {
    id: group.id,
    name: group.name,
    location: group.location,
    tags: group.tags ?? {},
    provisioningState: group.properties?.provisioningState,
  };
}

export function resourceView(resource: GenericResource) {
  return {
    id: resource.id,
    name: resource.name,
    type: resource.type,
    location: resource.location,
    tags: resource.tags ?? {},
    properties: resource.properties ?? {},
  };
}
