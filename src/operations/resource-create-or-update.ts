// Creates or replaces a resource by id (PUT `body`: the whole resource), followed to its terminal state.
import { EXAMPLE_GROUP } from "./params.ts";
import { defineResourceWrite } from "./resource-common.ts";

export const resourceCreateOrUpdate = defineResourceWrite({
  name: "resource.createOrUpdate",
  summary: "Create or replace a resource by id (PUT); long-running.",
  method: "PUT",
  example: {
    resourceId: `${EXAMPLE_GROUP}/providers/Microsoft.Storage/storageAccounts/appwebdata`,
    apiVersion: "2023-05-01",
    body: { location: "westeurope", kind: "StorageV2", sku: { name: "Standard_LRS" }, properties: {} },
  },
});
