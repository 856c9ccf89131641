// The operation catalog: the one list that routes, grants, the API, OpenAPI and `armbridge roles` read.
import type { OperationDefinition } from "./operation.ts";
import { resourceGroupDelete } from "./resource-group-delete.ts";
import { resourceGroupEnsure } from "./resource-group-ensure.ts";

export const catalog: readonly OperationDefinition[] = [resourceGroupEnsure, resourceGroupDelete];

export const operationNames: readonly string[] = catalog.map((op) => op.name);

export function findOperation(name: string): OperationDefinition | undefined {
  return catalog.find((op) => op.name === name);
}
