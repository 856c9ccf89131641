// Template deployments, replayed from Microsoft.Resources/deployments/examples/2025-04-01 (the
// templateLink of the examples is served by the emulator itself: it fetches only from loopback).
import { beforeAll, describe, expect, it } from "vitest";
import { storageAccount as storage, template } from "../helpers/templates.ts";
import { EXAMPLE_SUB, expectArmError, expectLongRunning, header, useReplay } from "./replay.ts";

const SUB = `/subscriptions/${EXAMPLE_SUB}`;
const RG = `${SUB}/resourceGroups/my-resource-group`;
const deploymentAt = (scope: string, name: string) =>
  `${scope}/providers/Microsoft.Resources/deployments/${name}`;
let templateUri: string;

const r = useReplay([RG]);
beforeAll(async () => {
  templateUri = r.emulator.serveTemplate("exampleTemplate.json", template([storage("mystorageaccount")]));
});

describe("deployments at resource-group scope", () => {
  it("PutDeploymentResourceGroup.json: 201 Accepted with the example's properties, then Succeeded with outputResources", async () => {
    const id = deploymentAt(RG, "my-deployment");
    const put = await r.call("PUT", id, {
      properties: { mode: "Incremental", parameters: {}, templateLink: { uri: templateUri } },
    });
    const status = expectLongRunning(put, 201, "Azure-AsyncOperation");
    expect(put.body).toMatchObject({
      id,
      name: "my-deployment",
      type: "Microsoft.Resources/deployments",
      properties: {
        correlationId: header(put, "x-ms-correlation-request-id"),
        dependencies: [],
        mode: "Incremental",
        parameters: {},
        provisioningState: "Accepted",
        templateHash: expect.stringMatching(/^\d+$/),
        templateLink: { uri: templateUri },
        timestamp: expect.any(String),
        duration: expect.stringMatching(/^PT/),
      },
    });
    expect((await r.poll(status)).body).toEqual({ status: "Succeeded" });
    const done = await r.call("GET", id);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      properties: {
        provisioningState: "Succeeded",
        outputResources: [{ id: `${RG}/providers/Microsoft.Storage/storageAccounts/mystorageaccount` }],
        providers: [{ namespace: "Microsoft.Storage", resourceTypes: [{ resourceType: "storageAccounts" }] }],
      },
    });
  });

  it("PostDeploymentValidateOnResourceGroup.json: 200 with validatedResources", async () => {
    const res = await r.call("POST", `${deploymentAt(RG, "my-deployment")}/validate`, {
      properties: { mode: "Incremental", parameters: {}, templateLink: { uri: templateUri } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: deploymentAt(RG, "my-deployment"),
      properties: {
        provisioningState: "Succeeded",
        validatedResources: [{ id: `${RG}/providers/Microsoft.Storage/storageAccounts/mystorageaccount` }],
      },
    });
  });

  it("PostDeploymentValidateOnResourceGroup.json (400): InvalidTemplateDeployment > PreflightValidationCheckFailed > AccountNameInvalid, target 'a'", async () => {
    const res = await r.call("POST", `${deploymentAt(RG, "my-deployment")}/validate`, {
      properties: { mode: "Incremental", parameters: {}, template: template([storage("a")]) },
    });
    expectArmError(res, 400, "InvalidTemplateDeployment");
    const tracking = header(res, "x-ms-correlation-request-id");
    expect(res.body).toMatchObject({
      error: {
        message: `The template deployment 'my-deployment' is not valid according to the validation procedure. The tracking id is '${tracking}'. See inner errors for details.`,
        details: [
          {
            code: "PreflightValidationCheckFailed",
            message: "Preflight validation failed. Please refer to the details for the specific errors.",
            details: [
              {
                code: "AccountNameInvalid",
                message:
                  "a is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.",
                target: "a",
              },
            ],
          },
        ],
      },
    });
  });

  it("PostDeploymentWhatIfOnResourceGroup.json: 202 + Location, then 200 { status, properties.changes } with Modify deltas and Create", async () => {
    await r
      .call("PUT", deploymentAt(RG, "base"), {
        properties: { mode: "Incremental", template: template([storage("myexistingidentity")]) },
      })
      .then((res) => r.poll(header(res, "Azure-AsyncOperation") ?? ""));
    const accepted = await r.call("POST", `${deploymentAt(RG, "my-deployment")}/whatIf`, {
      properties: {
        mode: "Incremental",
        parameters: {},
        template: template([
          storage("myexistingidentity", { tags: { myNewTag: "my tag value" } }),
          storage("mynewidentity", { tags: { myOtherNewTag: "another new tag value" } }),
        ]),
      },
    });
    const location = expectLongRunning(accepted, 202, "Location");
    const done = await r.poll(location);
    expect(done.status).toBe(200);
    const existing = `${RG}/providers/Microsoft.Storage/storageAccounts/myexistingidentity`;
    const created = `${RG}/providers/Microsoft.Storage/storageAccounts/mynewidentity`;
    expect(done.body).toMatchObject({
      status: "Succeeded",
      properties: {
        changes: expect.arrayContaining([
          expect.objectContaining({
            resourceId: existing,
            changeType: "Modify",
            before: expect.objectContaining({
              id: existing,
              name: "myexistingidentity",
              apiVersion: "2023-05-01",
            }),
            after: expect.objectContaining({
              id: existing,
              tags: { myNewTag: "my tag value" },
              apiVersion: "2023-05-01",
            }),
            delta: [{ path: "tags.myNewTag", after: "my tag value", propertyChangeType: "Create" }],
          }),
          expect.objectContaining({
            resourceId: created,
            changeType: "Create",
            after: expect.objectContaining({ id: created, tags: { myOtherNewTag: "another new tag value" } }),
          }),
        ]),
      },
    });
  });

  it("Deployments_Cancel (deployments.json): 204 for a running deployment, which ends Canceled; 409 once it has ended", async () => {
    r.emulator.configure({ lro: { durationMs: 5_000 } });
    const id = deploymentAt(RG, "to-cancel");
    try {
      await r.call("PUT", id, {
        properties: { mode: "Incremental", template: template([storage("stcancel")]) },
      });
      expect((await r.call("POST", `${id}/cancel`)).status).toBe(204);
    } finally {
      r.emulator.configure({ lro: { durationMs: 30 } });
    }
    expect((await r.call("GET", id)).body).toMatchObject({ properties: { provisioningState: "Canceled" } });
    expect(r.emulator.resource(`${RG}/providers/Microsoft.Storage/storageAccounts/stcancel`)).toBeUndefined();
    expectArmError(await r.call("POST", `${id}/cancel`), 409, "DeploymentCannotBeCancelled");
  });

  it("DeploymentOperations_List (deployments.json): one operation per resource with targetResource and provisioningState", async () => {
    const res = await r.call(
      "GET",
      `${RG}/deployments/my-deployment/operations`.replace("/resourceGroups/", "/resourcegroups/"),
    );
    expect(res.status).toBe(200);
    const value = (res.body as { value: Record<string, unknown>[] }).value;
    expect(value).toEqual([
      expect.objectContaining({
        id: expect.stringContaining("/deployments/my-deployment/operations/"),
        operationId: expect.any(String),
        properties: expect.objectContaining({
          provisioningOperation: "Create",
          provisioningState: "Succeeded",
          targetResource: expect.objectContaining({
            id: `${RG}/providers/Microsoft.Storage/storageAccounts/mystorageaccount`,
            resourceType: "Microsoft.Storage/storageAccounts",
            resourceName: "mystorageaccount",
          }),
        }),
      }),
    ]);
    const one = await r.call(
      "GET",
      `${RG}/deployments/my-deployment/operations/${String(value[0]?.operationId)}`,
    );
    expect(one.body).toEqual(value[0]);
  });

  it("Deployments_Delete (deployments.json): 202 + Location + Retry-After, ending in 204", async () => {
    const accepted = await r.call("DELETE", deploymentAt(RG, "base"));
    const location = expectLongRunning(accepted, 202, "Location");
    const done = await r.poll(location);
    expect([done.status, done.text]).toEqual([204, ""]);
    expectArmError(await r.call("GET", deploymentAt(RG, "base")), 404, "DeploymentNotFound");
  });
});

describe("deployments at subscription scope", () => {
  const subTemplate = {
    $schema: "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    resources: [
      {
        type: "Microsoft.Resources/resourceGroups",
        apiVersion: "2025-04-01",
        name: "my-resource-group2",
        location: "westus",
      },
    ],
  };

  it("PutDeploymentSubscriptionTemplateSpecsWithId.json: 201 Accepted with location, then Succeeded", async () => {
    const id = deploymentAt(SUB, "my-deployment");
    const put = await r.call("PUT", id, {
      location: "eastus",
      properties: { mode: "Incremental", parameters: {}, template: subTemplate },
    });
    const status = expectLongRunning(put, 201, "Azure-AsyncOperation");
    expect(put.body).toMatchObject({
      id,
      location: "eastus",
      properties: { provisioningState: "Accepted", mode: "Incremental" },
    });
    await r.poll(status);
    expect((await r.call("GET", id)).body).toMatchObject({ properties: { provisioningState: "Succeeded" } });
  });

  it("PostDeploymentValidateOnSubscription.json: 200 with validatedResources", async () => {
    const res = await r.call("POST", `${deploymentAt(SUB, "my-deployment")}/validate`, {
      location: "eastus",
      properties: { mode: "Incremental", parameters: {}, template: subTemplate },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      properties: { validatedResources: [{ id: `${SUB}/resourceGroups/my-resource-group2` }] },
    });
  });

  it("PostDeploymentWhatIfOnSubscription.json: a resource group Create and a nested deployment's resources", async () => {
    const res = await r.call("POST", `${deploymentAt(SUB, "my-deployment")}/whatIf`, {
      location: "westus",
      properties: {
        mode: "Incremental",
        parameters: {},
        template: {
          ...subTemplate,
          resources: [
            { ...subTemplate.resources[0], name: "my-resource-group3" },
            {
              type: "Microsoft.Resources/deployments",
              apiVersion: "2025-04-01",
              name: "inner",
              resourceGroup: "my-resource-group",
              properties: {
                mode: "Incremental",
                expressionEvaluationOptions: { scope: "inner" },
                template: template([storage("mynewidentity2")]),
              },
            },
          ],
        },
      },
    });
    const done = await r.poll(expectLongRunning(res, 202, "Location"));
    expect(done.body).toMatchObject({
      status: "Succeeded",
      properties: {
        changes: expect.arrayContaining([
          expect.objectContaining({
            resourceId: `${SUB}/resourceGroups/my-resource-group3`,
            changeType: "Create",
          }),
          expect.objectContaining({
            resourceId: `${RG}/providers/Microsoft.Storage/storageAccounts/mynewidentity2`,
            changeType: "Create",
          }),
        ]),
      },
    });
  });

  it("Deployments_CreateOrUpdateAtSubscriptionScope without location: 400 LocationRequired", async () => {
    expectArmError(
      await r.call("PUT", deploymentAt(SUB, "nowhere"), {
        properties: { mode: "Incremental", template: subTemplate },
      }),
      400,
      "LocationRequired",
    );
  });
});
