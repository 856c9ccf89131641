// Template deployments driven by @azure/arm-resourcesdeployments against the emulator.

import {
  DEFAULT_SUBSCRIPTION_ID,
  defaultIdentities,
  type Emulator,
  startEmulator,
} from "@armbridge/azure-emulator";
import type { ResourceManagementClient } from "@azure/arm-resources";
import type { DeploymentsClient } from "@azure/arm-resourcesdeployments";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { armClients, managedIdentity, rejection } from "./helpers/emulator-clients.ts";

const POLL = { updateIntervalInMs: 10 };
const LIMITED_CLIENT_ID = "0d0d0d0d-0000-4000-8000-0000000000c1";

let emulator: Emulator;
let SUB: string;
let arm: ResourceManagementClient;
let deployments: DeploymentsClient;

const storageTemplate = {
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  parameters: { name: { type: "string" }, sku: { type: "string", defaultValue: "Standard_LRS" } },
  resources: [
    {
      type: "Microsoft.Storage/storageAccounts",
      apiVersion: "2023-05-01",
      name: "[parameters('name')]",
      location: "[resourceGroup().location]",
      sku: { name: "[parameters('sku')]" },
      kind: "StorageV2",
      properties: { minimumTlsVersion: "TLS1_2" },
    },
  ],
  outputs: {
    accountName: { type: "string", value: "[parameters('name')]" },
    answer: { type: "int", value: 42 },
  },
};

beforeAll(async () => {
  // msal-node keeps the IMDS endpoint and its token cache process-wide, so every identity these tests
  // use lives in this one emulator.
  const subscriptions = [DEFAULT_SUBSCRIPTION_ID];
  emulator = await startEmulator({
    subscriptions,
    lro: { durationMs: 30 },
    identities: [
      ...defaultIdentities(subscriptions),
      {
        kind: "user",
        principalId: "0d0d0d0d-0000-4000-8000-000000000001",
        clientId: LIMITED_CLIENT_ID,
        roleAssignments: [
          { scope: `/subscriptions/${DEFAULT_SUBSCRIPTION_ID}`, actions: ["Microsoft.Resources/*"] },
        ],
      },
    ],
  });
  SUB = emulator.subscriptions[0] ?? "";
  ({ resources: arm, deployments } = armClients(emulator, managedIdentity(emulator)));
});

afterAll(async () => {
  await emulator?.stop();
});

describe("deployments through @azure/arm-resourcesdeployments", () => {
  beforeAll(async () => {
    await arm.resourceGroups.createOrUpdate("rg-dep", { location: "northeurope" });
  });

  it("deploys a template, creates its resources and returns outputs", async () => {
    const result = await deployments.deployments
      .createOrUpdate(
        "rg-dep",
        "dep-ok",
        {
          properties: {
            mode: "Incremental",
            template: storageTemplate,
            parameters: { name: { value: "stdeployed" } },
          },
        },
        POLL,
      )
      .pollUntilDone();
    expect(result.properties?.provisioningState).toBe("Succeeded");
    expect(result.properties?.outputs).toEqual({
      accountName: { type: "String", value: "stdeployed" },
      answer: { type: "Int", value: 42 },
    });
    expect(
      emulator.resource(
        `/subscriptions/${SUB}/resourcegroups/rg-dep/providers/Microsoft.Storage/storageAccounts/stdeployed`,
      ),
    ).toMatchObject({ location: "northeurope", sku: { name: "Standard_LRS" } });
    const put = emulator.requests({
      method: "PUT",
      pathPrefix: `/subscriptions/${SUB}/resourcegroups/rg-dep/providers/microsoft.resources/deployments/dep-ok`,
    });
    expect(put.map((r) => r.status)).toEqual([201]);
  });

  it("refuses an unregistered resource type in preflight with InvalidTemplateDeployment", async () => {
    const template = {
      ...storageTemplate,
      parameters: {},
      outputs: {},
      resources: [
        { type: "Microsoft.Nope/widgets", apiVersion: "2024-01-01", name: "w1", location: "westus" },
      ],
    };
    let raw: { status: number; bodyAsText?: string | null } | undefined;
    const error = await rejection(
      deployments.deployments
        .createOrUpdate(
          "rg-dep",
          "dep-bad",
          { properties: { mode: "Incremental", template } },
          { ...POLL, onResponse: (response) => (raw = response) },
        )
        .pollUntilDone(),
    );
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe("InvalidTemplateDeployment");
    const details = JSON.parse(raw?.bodyAsText ?? "{}").error?.details;
    expect(details?.[0]?.code).toBe("PreflightValidationCheckFailed");
    expect(details?.[0]?.details?.[0]?.code).toBe("NoRegisteredProviderFound");
    expect((await deployments.deployments.checkExistence("rg-dep", "dep-bad")).body).toBe(false);
  });

  it("ends a deployment that fails while running as Failed with DeploymentFailed", async () => {
    await arm.resourceGroups.createOrUpdate("rg-dep-other", { location: "northeurope" });
    const taken = {
      properties: {
        mode: "Incremental" as const,
        template: storageTemplate,
        parameters: { name: { value: "sttaken" } },
      },
    };
    await deployments.deployments.createOrUpdate("rg-dep-other", "first", taken, POLL).pollUntilDone();
    const error = await deployments.deployments
      .createOrUpdate("rg-dep", "dep-taken", taken, POLL)
      .pollUntilDone()
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error?.message).toContain("DeploymentFailed");
    const dep = await deployments.deployments.get("rg-dep", "dep-taken");
    expect(dep.properties?.provisioningState).toBe("Failed");
    expect(dep.properties?.error?.code).toBe("DeploymentFailed");
    expect(dep.properties?.error?.details?.[0]?.code).toBe("StorageAccountAlreadyTaken");
  });

  it("refuses an invalid template synchronously with InvalidTemplate", async () => {
    const error = await rejection(
      deployments.deployments
        .createOrUpdate(
          "rg-dep",
          "dep-invalid",
          {
            properties: {
              mode: "Incremental",
              template: storageTemplate,
              parameters: { name: { value: "x" }, extra: { value: 1 } },
            },
          },
          POLL,
        )
        .pollUntilDone(),
    );
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe("InvalidTemplate");
    expect(error.message).toContain("extra");
  });

  it("validates a deployment", async () => {
    const ok = await deployments.deployments
      .validate(
        "rg-dep",
        "dep-check",
        {
          properties: {
            mode: "Incremental",
            template: storageTemplate,
            parameters: { name: { value: "stcheck" } },
          },
        },
        POLL,
      )
      .pollUntilDone();
    expect(ok.properties?.provisioningState).toBe("Succeeded");
    expect(ok.properties?.validatedResources?.[0]?.id).toContain("/storageAccounts/stcheck");
    // SDK quirk: a 400 from validate fails the poller with a bare Error (no code); the body is only
    // reachable through onResponse.
    let raw: { status: number; bodyAsText?: string | null } | undefined;
    const failed = await deployments.deployments
      .validate(
        "rg-dep",
        "dep-check",
        { properties: { mode: "Incremental", template: storageTemplate } },
        {
          ...POLL,
          onResponse: (response) => {
            raw = response;
          },
        },
      )
      .pollUntilDone()
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(failed?.message).toContain("The long-running operation has failed");
    expect(raw?.status).toBe(400);
    expect(JSON.parse(raw?.bodyAsText ?? "{}").error.code).toBe("InvalidTemplate");
  });

  it("computes what-if changes against the current state", async () => {
    const template = {
      ...storageTemplate,
      resources: [
        { ...storageTemplate.resources[0], properties: { minimumTlsVersion: "TLS1_3" } },
        {
          type: "Microsoft.KeyVault/vaults",
          apiVersion: "2023-07-01",
          name: "kv1",
          location: "northeurope",
          properties: {},
        },
      ],
    };
    const result = await deployments.deployments
      .whatIf(
        "rg-dep",
        "dep-whatif",
        { properties: { mode: "Incremental", template, parameters: { name: { value: "stdeployed" } } } },
        POLL,
      )
      .pollUntilDone();
    expect(result.status).toBe("Succeeded");
    const byType = Object.fromEntries(
      (result.changes ?? []).map((c) => [c.resourceId?.split("/")[7], c.changeType]),
    );
    expect(byType).toEqual({ storageAccounts: "Modify", vaults: "Create" });
    expect(
      emulator.resource(
        `/subscriptions/${SUB}/resourceGroups/rg-dep/providers/Microsoft.KeyVault/vaults/kv1`,
      ),
    ).toBeUndefined();
  });
});

describe("deployment scopes and modes", () => {
  it("deploys at subscription scope, which needs a location, and creates resource groups", async () => {
    const template = {
      $schema: "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      parameters: { rgName: { type: "string" } },
      resources: [
        {
          type: "Microsoft.Resources/resourceGroups",
          apiVersion: "2025-04-01",
          name: "[parameters('rgName')]",
          location: "swedencentral",
        },
      ],
      outputs: { rg: { type: "string", value: "[parameters('rgName')]" } },
    };
    const noLocation = await rejection(
      deployments.deployments
        .createOrUpdateAtSubscriptionScope(
          "sub-dep",
          { properties: { mode: "Incremental", template, parameters: { rgName: { value: "rg-from-sub" } } } },
          POLL,
        )
        .pollUntilDone(),
    );
    expect(noLocation.statusCode).toBe(400);
    const done = await deployments.deployments
      .createOrUpdateAtSubscriptionScope(
        "sub-dep",
        {
          location: "swedencentral",
          properties: { mode: "Incremental", template, parameters: { rgName: { value: "rg-from-sub" } } },
        },
        POLL,
      )
      .pollUntilDone();
    expect(done.properties?.outputs).toEqual({ rg: { type: "String", value: "rg-from-sub" } });
    expect((await arm.resourceGroups.get("rg-from-sub")).location).toBe("swedencentral");
  });

  it("removes resources missing from the template in Complete mode, and what-if shows it first", async () => {
    await arm.resourceGroups.createOrUpdate("rg-complete", { location: "westus" });
    const vaultId = `/subscriptions/${SUB}/resourceGroups/rg-complete/providers/Microsoft.KeyVault/vaults/kv-old`;
    await arm.resources
      .createOrUpdateById(vaultId, "2023-07-01", { location: "westus", properties: {} }, POLL)
      .pollUntilDone();
    const properties = {
      mode: "Complete" as const,
      template: storageTemplate,
      parameters: { name: { value: "stkeep" } },
    };
    const whatIf = await deployments.deployments
      .whatIf("rg-complete", "complete", { properties }, POLL)
      .pollUntilDone();
    expect((whatIf.changes ?? []).map((c) => c.changeType).sort()).toEqual(["Create", "Delete"]);
    await deployments.deployments
      .createOrUpdate("rg-complete", "complete", { properties }, POLL)
      .pollUntilDone();
    expect(emulator.resource(vaultId)).toBeUndefined();
    expect(emulator.stats().effects[`DELETE ${vaultId.toLowerCase()}`]).toBe(1);
  });

  it("refuses a deployment whose resources the caller may not write", async () => {
    const asLimited = armClients(emulator, managedIdentity(emulator, LIMITED_CLIENT_ID));
    const error = await rejection(
      asLimited.deployments.deployments
        .createOrUpdate(
          "rg-complete",
          "limited",
          {
            properties: {
              mode: "Incremental",
              template: storageTemplate,
              parameters: { name: { value: "st" } },
            },
          },
          POLL,
        )
        .pollUntilDone(),
    );
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe("AuthorizationFailed");
    expect(error.message).toContain("Microsoft.Storage/storageAccounts/write");
  });
});
