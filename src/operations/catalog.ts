// The operation catalog: the one list that routes, grants, the API, OpenAPI and `armbridge roles` read.
import { deploymentCreate } from "./deployment-create.ts";
import { deploymentValidate } from "./deployment-validate.ts";
import { deploymentWhatIf } from "./deployment-what-if.ts";
import type { OperationDefinition } from "./operation.ts";
import { resourceAction } from "./resource-action.ts";
import { resourceCreateOrUpdate } from "./resource-create-or-update.ts";
import { resourceDelete } from "./resource-delete.ts";
import { resourceGet } from "./resource-get.ts";
import { resourceGroupDelete } from "./resource-group-delete.ts";
import { resourceGroupEnsure } from "./resource-group-ensure.ts";
import { resourceGroupGet } from "./resource-group-get.ts";
import { resourcePatch } from "./resource-patch.ts";
import { tagsDelete } from "./tags-delete.ts";
import { tagsMerge } from "./tags-merge.ts";
import { tagsReplace } from "./tags-replace.ts";

export const catalog: readonly OperationDefinition[] = [
  resourceGroupEnsure,
  resourceGroupGet,
  resourceGroupDelete,
  resourceGet,
  resourceCreateOrUpdate,
  resourcePatch,
  resourceDelete,
  resourceAction,
  tagsMerge,
  tagsReplace,
  tagsDelete,
  deploymentValidate,
  deploymentWhatIf,
  deploymentCreate,
];

export const operationNames: readonly string[] = catalog.map((op) => op.name);

export function findOperation(name: string): OperationDefinition | undefined {
  return catalog.find((op) => op.name === name);
}
