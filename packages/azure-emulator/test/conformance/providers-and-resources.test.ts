// Providers (Microsoft.Resources/resources/examples/2025-04-01), generic resources by id with the
// storage and compute providers' answers (Microsoft.Storage StorageAccountCreate, Compute
// VirtualMachines_Start), and provider actions.
import { describe, expect, it } from "vitest";
import { EXAMPLE_SUB, expectArmError, expectLongRunning, header, useReplay } from "./replay.ts";

const RG = `/subscriptions/${EXAMPLE_SUB}/resourceGroups/res`;
const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/sto4445`;
const VM = `${RG}/providers/Microsoft.Compute/virtualMachines/myVM`;

const r = useReplay([RG]);

describe("providers", () => {
  it("GetProvider.json: 200 with namespace, registrationState and resourceTypes (apiVersions, locations)", async () => {
    const res = await r.call("GET", `/subscriptions/${EXAMPLE_SUB}/providers/Microsoft.Storage`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: `/subscriptions/${EXAMPLE_SUB}/providers/Microsoft.Storage`,
      namespace: "Microsoft.Storage",
      registrationState: expect.any(String),
      resourceTypes: expect.arrayContaining([
        expect.objectContaining({
          resourceType: "storageAccounts",
          apiVersions: expect.any(Array),
          locations: expect.any(Array),
        }),
      ]),
    });
  });

  it("GetProviders.json: 200 with a value array of providers", async () => {
    const res = await r.call("GET", `/subscriptions/${EXAMPLE_SUB}/providers`);
    expect(res.status).toBe(200);
    const namespaces = (res.body as { value: { namespace: string }[] }).value.map((p) => p.namespace);
    expect(namespaces).toEqual(expect.arrayContaining(["Microsoft.Storage", "Microsoft.Compute"]));
  });

  it("Providers_Get for an unknown namespace: 404 InvalidResourceNamespace", async () => {
    expectArmError(
      await r.call("GET", `/subscriptions/${EXAMPLE_SUB}/providers/Microsoft.Nope`),
      404,
      "InvalidResourceNamespace",
    );
  });
});

describe("generic resources by id", () => {
  const account = { sku: { name: "Standard_GRS" }, kind: "Storage", location: "eastus", properties: {} };

  it("StorageAccountCreate.json (Microsoft.Storage): 202 + Location + Retry-After, polled to 200 with the account", async () => {
    const accepted = await r.call("PUT", ACCOUNT, account, "2023-05-01");
    const location = expectLongRunning(accepted, 202, "Location");
    expect(header(accepted, "x-ms-ratelimit-remaining-subscription-writes")).toMatch(/^\d+$/);
    const done = await r.poll(location);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      id: ACCOUNT,
      name: "sto4445",
      type: "Microsoft.Storage/storageAccounts",
      kind: "Storage",
      sku: { name: "Standard_GRS" },
      properties: { provisioningState: "Succeeded" },
    });
  });

  it("Resources_GetById (resources.json): 200 with id, name, type and location", async () => {
    const res = await r.call("GET", ACCOUNT, undefined, "2023-05-01");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ACCOUNT, name: "sto4445", location: "eastus" });
    expect(header(res, "x-ms-ratelimit-remaining-subscription-reads")).toMatch(/^\d+$/);
  });

  it("StorageAccountUpdate.json (Microsoft.Storage): PATCH answers 200 with the account", async () => {
    const res = await r.call("PATCH", ACCOUNT, { tags: { key1: "value1" } }, "2023-05-01");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ACCOUNT, tags: { key1: "value1" } });
  });

  it("Resources_GetById for a missing resource: 404 ResourceNotFound", async () => {
    expectArmError(
      await r.call("GET", `${ACCOUNT}missing`, undefined, "2023-05-01"),
      404,
      "ResourceNotFound",
    );
  });

  it("VirtualMachines_CreateOrUpdate (Microsoft.Compute): 201 with the VM Creating + Azure-AsyncOperation", async () => {
    const created = await r.call("PUT", VM, { location: "eastus", properties: {} }, "2024-07-01");
    const status = expectLongRunning(created, 201, "Azure-AsyncOperation");
    expect(created.body).toMatchObject({ id: VM, properties: { provisioningState: "Creating" } });
    expect((await r.poll(status)).body).toMatchObject({ status: "Succeeded" });
    expect(
      ((await r.call("GET", VM, undefined, "2024-07-01")).body as { properties: object }).properties,
    ).toMatchObject({
      provisioningState: "Succeeded",
    });
  });

  it("VirtualMachine_Start (Microsoft.Compute): the action answers 202 + Location + Retry-After, polled to 200", async () => {
    await r
      .call("POST", `${VM}/powerOff`, undefined, "2024-07-01")
      .then((res) => r.poll(header(res, "Location") ?? ""));
    const accepted = await r.call("POST", `${VM}/start`, undefined, "2024-07-01");
    const location = expectLongRunning(accepted, 202, "Location");
    expect((await r.poll(location)).status).toBe(200);
    expect(r.emulator.resource(VM)).toMatchObject({ properties: { powerState: "running" } });
  });

  it("StorageAccountListKeys.json (Microsoft.Storage): 200 with keys[keyName, value, permissions]", async () => {
    const res = await r.call("POST", `${ACCOUNT}/listKeys`, undefined, "2023-05-01");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      keys: [{ keyName: "key1", value: expect.any(String), permissions: "FULL" }, { keyName: "key2" }],
    });
  });

  it("VirtualMachines_Delete (Microsoft.Compute): 202 + Azure-AsyncOperation + Location, then the VM is gone", async () => {
    const accepted = await r.call("DELETE", VM, undefined, "2024-07-01");
    const status = expectLongRunning(accepted, 202, "Azure-AsyncOperation");
    expect(header(accepted, "Location")).toMatch(/^https:\/\//);
    expect((await r.poll(status)).body).toMatchObject({ status: "Succeeded" });
    expect((await r.call("HEAD", VM, undefined, "2024-07-01")).status).toBe(404);
  });

  it("StorageAccountDelete.json (Microsoft.Storage): 200, then 204 for an account already gone", async () => {
    expect((await r.call("DELETE", ACCOUNT, undefined, "2023-05-01")).status).toBe(200);
    expect((await r.call("DELETE", ACCOUNT, undefined, "2023-05-01")).status).toBe(204);
  });
});
