// The emulator driven by the real Azure SDK clients over the wire (IMDS token, HTTPS ARM, LROs).
import { randomUUID } from "node:crypto";
import { type Emulator, startEmulator } from "@armbridge/azure-emulator";
import type { ResourceManagementClient } from "@azure/arm-resources";
import { createDefaultHttpClient, createPipelineRequest } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { armClients, managedIdentity, rejection } from "./helpers/emulator-clients.ts";

const SUB = "00000000-0000-0000-0000-0000000000aa";
const POLL = { updateIntervalInMs: 10 };
const USER = {
  principalId: "0a0a0a0a-0000-4000-8000-000000000001",
  clientId: "0a0a0a0a-0000-4000-8000-0000000000c1",
};
const NOBODY = {
  principalId: "0b0b0b0b-0000-4000-8000-000000000001",
  clientId: "0b0b0b0b-0000-4000-8000-0000000000c1",
};

let emulator: Emulator;
let arm: ResourceManagementClient;

beforeAll(async () => {
  emulator = await startEmulator({
    subscriptions: [SUB],
    lro: { durationMs: 30 },
    identities: [
      {
        kind: "system",
        principalId: "0c0c0c0c-0000-4000-8000-000000000001",
        clientId: "0c0c0c0c-0000-4000-8000-0000000000c1",
        roleAssignments: [
          { scope: `/subscriptions/${SUB}`, actions: ["*"], notActions: ["Microsoft.Authorization/*/Write"] },
        ],
      },
      {
        kind: "user",
        ...USER,
        resourceId: `/subscriptions/${SUB}/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/reader`,
        roleAssignments: [
          {
            scope: `/subscriptions/${SUB}/resourceGroups/shared`,
            actions: ["Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Resources/tags/*"],
          },
        ],
      },
      { kind: "user", ...NOBODY, roleAssignments: [] },
    ],
  });
  ({ resources: arm } = armClients(emulator, managedIdentity(emulator)));
});

afterAll(async () => {
  await emulator?.stop();
});

describe("resource groups through @azure/arm-resources", () => {
  it("creates, reads, lists and deletes a resource group, the delete as a long-running operation", async () => {
    const created = await arm.resourceGroups.createOrUpdate("Rg-Life", {
      location: "West Europe",
      tags: { env: "test" },
    });
    expect(created).toMatchObject({ name: "Rg-Life", location: "westeurope", tags: { env: "test" } });
    expect(created.properties?.provisioningState).toBe("Succeeded");

    const got = await arm.resourceGroups.get("rg-life");
    expect(got.id).toBe(`/subscriptions/${SUB}/resourceGroups/Rg-Life`);
    expect((await arm.resourceGroups.checkExistence("RG-LIFE")).body).toBe(true);

    const names: string[] = [];
    for await (const rg of arm.resourceGroups.list()) names.push(rg.name ?? "");
    expect(names).toContain("Rg-Life");

    await arm.resourceGroups.delete("rg-life", POLL).pollUntilDone();
    expect((await arm.resourceGroups.checkExistence("Rg-Life")).body).toBe(false);
    const deletes = emulator.requests({
      method: "DELETE",
      pathPrefix: `/subscriptions/${SUB}/resourcegroups/rg-life`,
    });
    expect(deletes.map((r) => r.status)).toEqual([202]);
    expect(emulator.stats().effects[`DELETE /subscriptions/${SUB}/resourcegroups/rg-life`]).toBe(1);
  });

  it("surfaces a missing group as RestError code ResourceGroupNotFound", async () => {
    const error = await rejection(arm.resourceGroups.get("does-not-exist"));
    expect(error.statusCode).toBe(404);
    expect(error.code).toBe("ResourceGroupNotFound");
  });

  it("echoes the client's correlation id and records it", async () => {
    const correlationId = randomUUID();
    await arm.resourceGroups.createOrUpdate(
      "rg-corr",
      { location: "eastus" },
      {
        requestOptions: { headers: { "x-ms-correlation-request-id": correlationId } },
      },
    );
    const [put] = emulator.requests({
      method: "PUT",
      pathPrefix: `/subscriptions/${SUB}/resourcegroups/rg-corr`,
    });
    expect(put).toMatchObject({ correlationId, status: 201, apiVersion: "2025-04-01" });
    expect(put?.clientRequestId).toBeTruthy();
  });
});

describe("generic resources and provider actions", () => {
  beforeAll(async () => {
    await arm.resourceGroups.createOrUpdate("rg-res", { location: "westus" });
  });

  it("puts and gets a resource by api-version, keeping the casing it was created with", async () => {
    const account = await arm.resources
      .createOrUpdate(
        "rg-res",
        "Microsoft.Storage",
        "",
        "storageAccounts",
        "StAccount1",
        "2023-05-01",
        {
          location: "westus",
          sku: { name: "Standard_LRS" },
          kind: "StorageV2",
          properties: { minimumTlsVersion: "TLS1_2" },
        },
        POLL,
      )
      .pollUntilDone();
    expect(account.properties).toMatchObject({ provisioningState: "Succeeded", minimumTlsVersion: "TLS1_2" });
    const byId = await arm.resources.getById(
      `/subscriptions/${SUB}/resourcegroups/RG-RES/providers/microsoft.storage/storageaccounts/staccount1`,
      "2024-01-01",
    );
    expect(byId.id).toBe(
      `/subscriptions/${SUB}/resourceGroups/rg-res/providers/Microsoft.Storage/storageAccounts/StAccount1`,
    );
    expect(byId.type).toBe("Microsoft.Storage/storageAccounts");
  });

  it("rejects an api-version the provider does not serve", async () => {
    const error = await rejection(
      arm.resources.get("rg-res", "Microsoft.Storage", "", "storageAccounts", "StAccount1", "2099-01-01"),
    );
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe("NoRegisteredProviderFound");
    expect(error.message).toContain("2023-05-01");
  });

  it("lists the provider registry so clients can resolve api-versions", async () => {
    const provider = await arm.providers.get("Microsoft.Compute");
    const vm = provider.resourceTypes?.find((t) => t.resourceType === "virtualMachines");
    expect(vm?.apiVersions).toContain("2024-07-01");
  });

  it("runs a VM power action through the client pipeline as a Location-polled operation", async () => {
    const vmPath = `/subscriptions/${SUB}/resourceGroups/rg-res/providers/Microsoft.Compute/virtualMachines/vm1`;
    await arm.resources
      .createOrUpdateById(
        vmPath,
        "2024-07-01",
        { location: "westus", properties: { hardwareProfile: { vmSize: "B1s" } } },
        POLL,
      )
      .pollUntilDone();
    const http = createDefaultHttpClient();
    const send = (method: "GET" | "POST", url: string) =>
      arm.pipeline.sendRequest(http, createPipelineRequest({ url, method }));
    const started = await send("POST", `${emulator.armUrl}${vmPath}/deallocate?api-version=2024-07-01`);
    expect(started.status).toBe(202);
    const location = started.headers.get("location") ?? "";
    expect(location).toContain("/operationresults/");
    let poll = await send("GET", location);
    // Bounded: an operation that never ends fails the test instead of hanging it.
    for (let polls = 0; poll.status === 202 && polls < 1000; polls++) {
      await new Promise((r) => setTimeout(r, 10));
      poll = await send("GET", location);
    }
    expect(poll.status).toBe(200);
    const vm = await arm.resources.getById(vmPath, "2024-07-01");
    expect(vm.properties).toMatchObject({ powerState: "deallocated" });
    const unknown = await send("POST", `${emulator.armUrl}${vmPath}/explode?api-version=2024-07-01`);
    expect(unknown.status).toBe(404);
  });

  it("merges, replaces and deletes tags at a scope", async () => {
    const scope = `/subscriptions/${SUB}/resourceGroups/rg-res`;
    await arm.tagsOperations
      .createOrUpdateAtScope(scope, { properties: { tags: { a: "1", b: "2" } } }, POLL)
      .pollUntilDone();
    const merged = await arm.tagsOperations
      .updateAtScope(scope, { operation: "Merge", properties: { tags: { c: "3" } } }, POLL)
      .pollUntilDone();
    expect(merged.properties.tags).toEqual({ a: "1", b: "2", c: "3" });
    await arm.tagsOperations
      .updateAtScope(scope, { operation: "Delete", properties: { tags: { a: "" } } }, POLL)
      .pollUntilDone();
    expect((await arm.tagsOperations.getAtScope(scope)).properties.tags).toEqual({ b: "2", c: "3" });
    await arm.tagsOperations
      .updateAtScope(scope, { operation: "Replace", properties: { tags: { z: "9" } } }, POLL)
      .pollUntilDone();
    expect((await arm.resourceGroups.get("rg-res")).tags).toEqual({ z: "9" });
    await arm.tagsOperations.deleteAtScope(scope, POLL).pollUntilDone();
    expect((await arm.resourceGroups.get("rg-res")).tags).toEqual({});
  });
});

describe("identities and authorization", () => {
  it("selects a user-assigned identity by client id and authorizes within its scope", async () => {
    await arm.resourceGroups.createOrUpdate("shared", { location: "westus" });
    const { resources: asUser } = armClients(emulator, managedIdentity(emulator, USER.clientId), SUB);
    expect((await asUser.resourceGroups.get("shared")).name).toBe("shared");
    const [request] = emulator
      .requests({ method: "GET", pathPrefix: `/subscriptions/${SUB}/resourcegroups/shared` })
      .slice(-1);
    expect(request?.principalId).toBe(USER.principalId);
    const error = await rejection(asUser.resourceGroups.createOrUpdate("shared", { location: "westus" }));
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe("AuthorizationFailed");
    expect(error.message).toContain(
      `does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/write' over scope '/subscriptions/${SUB}/resourcegroups/shared'`,
    );
  });

  it("refuses every call of an identity without role assignments with 403", async () => {
    const { resources: asNobody } = armClients(emulator, managedIdentity(emulator, NOBODY.clientId), SUB);
    const error = await rejection(asNobody.resourceGroups.get("shared"));
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe("AuthorizationFailed");
    expect(error.message).toContain(NOBODY.principalId);
  });

  it("asks IMDS once per identity for many ARM calls", async () => {
    const before = emulator.stats();
    for (let i = 0; i < 10; i++) await arm.resourceGroups.checkExistence(`rg-${i}`);
    const after = emulator.stats();
    expect(after.armRequests - before.armRequests).toBe(10);
    expect(after.imdsTokenRequests - before.imdsTokenRequests).toBe(0);
    expect(after.imdsTokenRequests).toBeLessThanOrEqual(3);
  });
});
