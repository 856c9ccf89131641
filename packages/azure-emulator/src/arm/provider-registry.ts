// The resource providers the emulator knows: types, api-versions and provider actions.

export interface ProviderAction {
  /** Action name as in the URL, e.g. "start" for POST {vm}/start. */
  name: string;
  /** "lro": 202 + Location; "sync": 200 with `result`. */
  mode: "lro" | "sync";
  /** Value written to properties.powerState when the action completes. */
  powerState?: string;
  result?: (resource: Record<string, unknown>) => unknown;
}

export interface ResourceTypeInfo {
  /** Type path below the namespace, e.g. "virtualMachines" or "virtualNetworks/subnets". */
  resourceType: string;
  apiVersions: string[];
  /** Tracked resources need a location; child/proxy resources inherit none. */
  tracked: boolean;
  actions?: ProviderAction[];
  /** Properties a newly created resource starts with. */
  initialProperties?: Record<string, unknown>;
  /** An extension resource: it lives below another resource (`{id}/providers/{ns}/{type}/{name}`). */
  extension?: boolean;
  /**
   * How the provider answers writes: Microsoft.Storage with 202 + Location (polled until the account
   * is there), Compute and Network with 201/200 + Azure-AsyncOperation; absent, synchronously.
   */
  asyncWrites?: "location" | "azure-async-operation";
}

export interface ProviderInfo {
  namespace: string;
  resourceTypes: ResourceTypeInfo[];
}

export const LOCATIONS: Record<string, string> = {
  eastus: "East US",
  eastus2: "East US 2",
  westus: "West US",
  westus2: "West US 2",
  westus3: "West US 3",
  centralus: "Central US",
  northeurope: "North Europe",
  westeurope: "West Europe",
  uksouth: "UK South",
  swedencentral: "Sweden Central",
  germanywestcentral: "Germany West Central",
  francecentral: "France Central",
  japaneast: "Japan East",
  australiaeast: "Australia East",
  southeastasia: "Southeast Asia",
  canadacentral: "Canada Central",
};

export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

const vmActions: ProviderAction[] = [
  { name: "start", mode: "lro", powerState: "running" },
  { name: "powerOff", mode: "lro", powerState: "stopped" },
  { name: "restart", mode: "lro", powerState: "running" },
  { name: "deallocate", mode: "lro", powerState: "deallocated" },
];

const siteActions: ProviderAction[] = [
  { name: "start", mode: "sync", powerState: "running" },
  { name: "stop", mode: "sync", powerState: "stopped" },
  { name: "restart", mode: "sync", powerState: "running" },
];

const storageActions: ProviderAction[] = [
  {
    name: "listKeys",
    mode: "sync",
    result: (resource) => ({
      keys: ["key1", "key2"].map((keyName) => ({
        keyName,
        value: Buffer.from(`${String(resource.id)}/${keyName}`).toString("base64"),
        permissions: "FULL",
      })),
    }),
  },
];

export const PROVIDERS: ProviderInfo[] = [
  {
    namespace: "Microsoft.Compute",
    resourceTypes: [
      {
        resourceType: "virtualMachines",
        apiVersions: ["2024-11-01", "2024-07-01", "2024-03-01", "2023-09-01", "2023-07-01", "2023-03-01"],
        tracked: true,
        actions: vmActions,
        initialProperties: { powerState: "running" },
        asyncWrites: "azure-async-operation",
      },
    ],
  },
  {
    namespace: "Microsoft.Storage",
    resourceTypes: [
      {
        resourceType: "storageAccounts",
        apiVersions: ["2024-01-01", "2023-05-01", "2023-01-01", "2022-09-01"],
        tracked: true,
        actions: storageActions,
        asyncWrites: "location",
      },
    ],
  },
  {
    namespace: "Microsoft.Web",
    resourceTypes: [
      {
        resourceType: "sites",
        apiVersions: ["2024-04-01", "2023-12-01", "2023-01-01", "2022-09-01"],
        tracked: true,
        actions: siteActions,
        initialProperties: { state: "Running", powerState: "running" },
      },
      { resourceType: "serverfarms", apiVersions: ["2024-04-01", "2023-12-01", "2023-01-01"], tracked: true },
    ],
  },
  {
    namespace: "Microsoft.Network",
    resourceTypes: [
      {
        resourceType: "virtualNetworks",
        apiVersions: ["2024-05-01", "2024-01-01", "2023-11-01", "2023-09-01"],
        tracked: true,
        asyncWrites: "azure-async-operation",
      },
      {
        resourceType: "virtualNetworks/subnets",
        apiVersions: ["2024-05-01", "2024-01-01", "2023-11-01", "2023-09-01"],
        tracked: false,
      },
    ],
  },
  {
    namespace: "Microsoft.KeyVault",
    resourceTypes: [
      {
        resourceType: "vaults",
        apiVersions: ["2024-11-01", "2023-07-01", "2023-02-01", "2022-07-01"],
        tracked: true,
      },
    ],
  },
  {
    namespace: "Microsoft.Authorization",
    resourceTypes: [
      { resourceType: "locks", apiVersions: ["2020-05-01", "2016-09-01"], tracked: false, extension: true },
      {
        resourceType: "roleAssignments",
        apiVersions: ["2022-04-01", "2020-04-01-preview"],
        tracked: false,
        extension: true,
      },
      { resourceType: "roleDefinitions", apiVersions: ["2022-04-01"], tracked: false, extension: true },
    ],
  },
  {
    namespace: "Microsoft.Insights",
    resourceTypes: [
      {
        resourceType: "diagnosticSettings",
        apiVersions: ["2021-05-01-preview", "2017-05-01-preview"],
        tracked: false,
        extension: true,
      },
    ],
  },
];

/** Microsoft.Resources is served by ARM itself; listed so clients can resolve its api-versions. */
export const RESOURCES_PROVIDER: ProviderInfo = {
  namespace: "Microsoft.Resources",
  resourceTypes: ["resourceGroups", "deployments", "tags", "subscriptions", "providers", "operationresults"]
    .map((resourceType) => ({
      resourceType,
      // Every stable version of Microsoft.Resources the SDKs send (subscriptions and providers included).
      apiVersions: [
        "2026-06-01",
        "2025-04-01",
        "2025-03-01",
        "2024-11-01",
        "2024-07-01",
        "2024-03-01",
        "2023-07-01",
        "2022-12-01",
        "2022-09-01",
        "2021-04-01",
        "2021-01-01",
        "2020-10-01",
        "2020-06-01",
        "2020-01-01",
        "2019-11-01",
        "2019-10-01",
        "2019-08-01",
        "2019-07-01",
        "2019-06-01",
        "2019-05-10",
        "2019-05-01",
        "2019-03-01",
        "2018-05-01",
        "2018-02-01",
        "2017-05-10",
        "2016-09-01",
        "2016-07-01",
        "2016-06-01",
        "2016-02-01",
        "2015-11-01",
      ],
      tracked: false,
    }))
    .concat([
      // Served by a provider behind ARM, unlike the rest of the namespace: code run in a container.
      { resourceType: "deploymentScripts", apiVersions: ["2023-08-01", "2020-10-01"], tracked: true },
    ]),
};

export function findProvider(namespace: string): ProviderInfo | undefined {
  const lower = namespace.toLowerCase();
  return [...PROVIDERS, RESOURCES_PROVIDER].find((p) => p.namespace.toLowerCase() === lower);
}

export function findResourceType(provider: ProviderInfo, typePath: string): ResourceTypeInfo | undefined {
  const lower = typePath.toLowerCase();
  return provider.resourceTypes.find((t) => t.resourceType.toLowerCase() === lower);
}

export function providerToArm(provider: ProviderInfo, subscriptionId: string): Record<string, unknown> {
  return {
    id: `/subscriptions/${subscriptionId}/providers/${provider.namespace}`,
    namespace: provider.namespace,
    registrationState: "Registered",
    registrationPolicy: "RegistrationRequired",
    resourceTypes: provider.resourceTypes.map((t) => ({
      resourceType: t.resourceType,
      locations: t.tracked ? Object.values(LOCATIONS) : [],
      apiVersions: t.apiVersions,
      defaultApiVersion: t.apiVersions[0],
      capabilities: "None",
    })),
  };
}
