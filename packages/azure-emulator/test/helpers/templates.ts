// Small ARM templates for tests: the outline and a storage account resource.

export const TEMPLATE_SCHEMA =
  "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

export function template(resources: unknown[], extra: Record<string, unknown> = {}) {
  return { $schema: TEMPLATE_SCHEMA, contentVersion: "1.0.0.0", resources, ...extra };
}

export function storageAccount(name: string, extra: Record<string, unknown> = {}) {
  return {
    type: "Microsoft.Storage/storageAccounts",
    apiVersion: "2023-05-01",
    name,
    location: "eastus",
    sku: { name: "Standard_LRS" },
    kind: "StorageV2",
    ...extra,
  };
}
