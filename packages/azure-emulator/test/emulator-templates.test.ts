// Template language and nested deployments in the emulator, driven by @azure/arm-resourcesdeployments:
// nested inline and linked templates in other groups and subscriptions, inner and outer scope, copy
// loops, reference(), dependsOn, extension resources, and what-if in ARM's shape for all of them.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type Emulator, startEmulator } from "@armbridge/azure-emulator";
import type { ResourceManagementClient } from "@azure/arm-resources";
import type { DeploymentParameter, DeploymentsClient } from "@azure/arm-resourcesdeployments";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { armClients, managedIdentity, rejection } from "./helpers/emulator-clients.ts";
import { storageAccount, TEMPLATE_SCHEMA } from "./helpers/templates.ts";

const POLL = { updateIntervalInMs: 10 };
const SUB_A = "00000000-0000-0000-0000-00000000000a";
const SUB_B = "00000000-0000-0000-0000-00000000000b";
const SCHEMA = TEMPLATE_SCHEMA;

let emulator: Emulator;
let arm: ResourceManagementClient;
let armB: ResourceManagementClient;
let deployments: DeploymentsClient;
let server: http.Server;
let serverUrl: string;

const rgId = (sub: string, rg: string) => `/subscriptions/${sub}/resourceGroups/${rg}`;
const storageId = (sub: string, rg: string, name: string) =>
  `${rgId(sub, rg)}/providers/Microsoft.Storage/storageAccounts/${name}`;

function storage(name: string, extra: Record<string, unknown> = {}) {
  return storageAccount(name, { location: "westeurope", ...extra });
}

async function deploy(
  rg: string,
  name: string,
  template: unknown,
  parameters: Record<string, DeploymentParameter> = {},
) {
  return deployments.deployments
    .createOrUpdate(rg, name, { properties: { mode: "Incremental", template, parameters } }, POLL)
    .pollUntilDone();
}

beforeAll(async () => {
  emulator = await startEmulator({ subscriptions: [SUB_A, SUB_B], lro: { durationMs: 20 } });
  const credential = managedIdentity(emulator);
  ({ resources: arm, deployments } = armClients(emulator, credential, SUB_A));
  armB = armClients(emulator, credential, SUB_B).resources;
  for (const rg of ["tpl-main", "tpl-other"])
    await arm.resourceGroups.createOrUpdate(rg, { location: "westeurope" });
  await armB.resourceGroups.createOrUpdate("tpl-far", { location: "northeurope" });
  // A template server on loopback, as a CI artifact store would serve linked templates.
  server = http.createServer((req, res) => {
    if (req.url === "/linked.json") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          $schema: SCHEMA,
          contentVersion: "1.0.0.0",
          parameters: { name: { type: "string" } },
          resources: [storage("[parameters('name')]")],
          outputs: { from: { type: "string", value: "[deployment().properties.templateLink.uri]" } },
        }),
      );
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await emulator?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

describe("nested deployments", () => {
  it("deploys an inner-scope nested template into another group and another subscription", async () => {
    const nested = (name: string, target: Record<string, string>, account: string) => ({
      type: "Microsoft.Resources/deployments",
      apiVersion: "2025-04-01",
      name,
      ...target,
      properties: {
        mode: "Incremental",
        expressionEvaluationOptions: { scope: "inner" },
        parameters: { account: { value: account } },
        template: {
          $schema: SCHEMA,
          contentVersion: "1.0.0.0",
          parameters: { account: { type: "string" } },
          resources: [storage("[parameters('account')]")],
          outputs: {
            group: { type: "string", value: "[resourceGroup().name]" },
            sub: { type: "string", value: "[subscription().subscriptionId]" },
          },
        },
      },
    });
    const template = {
      $schema: SCHEMA,
      contentVersion: "1.0.0.0",
      resources: [
        nested("toOther", { resourceGroup: "tpl-other" }, "stnestedother"),
        nested("toFar", { subscriptionId: SUB_B, resourceGroup: "tpl-far" }, "stnestedfar"),
      ],
      outputs: {
        otherGroup: { type: "string", value: "[reference('toOther').outputs.group.value]" },
        farSub: { type: "string", value: "[reference('toFar').outputs.sub.value]" },
      },
    };
    const result = await deploy("tpl-main", "nested-inner", template);
    expect(result.properties?.outputs).toEqual({
      otherGroup: { type: "String", value: "tpl-other" },
      farSub: { type: "String", value: SUB_B },
    });
    expect(emulator.resource(storageId(SUB_A, "tpl-other", "stnestedother"))).toBeDefined();
    expect(emulator.resource(storageId(SUB_B, "tpl-far", "stnestedfar"))).toBeDefined();
    expect(emulator.resource(storageId(SUB_A, "tpl-main", "stnestedother"))).toBeUndefined();
    const far = await armClients(emulator, managedIdentity(emulator), SUB_B).deployments.deployments.get(
      "tpl-far",
      "toFar",
    );
    expect(far.properties?.provisioningState).toBe("Succeeded");
  });

  it("evaluates an outer-scope nested template in the parent's scope but deploys to its target group", async () => {
    const template = {
      $schema: SCHEMA,
      contentVersion: "1.0.0.0",
      parameters: { prefix: { type: "string" } },
      resources: [
        {
          type: "Microsoft.Resources/deployments",
          apiVersion: "2025-04-01",
          name: "outer",
          resourceGroup: "tpl-other",
          properties: {
            mode: "Incremental",
            template: {
              $schema: SCHEMA,
              contentVersion: "1.0.0.0",
              resources: [
                storage("[concat(parameters('prefix'), 'outer')]", {
                  tags: { evaluatedIn: "[resourceGroup().name]" },
                }),
              ],
            },
          },
        },
      ],
    };
    await deploy("tpl-main", "nested-outer", template, { prefix: { value: "st" } });
    expect(emulator.resource(storageId(SUB_A, "tpl-other", "stouter"))).toMatchObject({
      tags: { evaluatedIn: "tpl-main" },
    });
  });

  it("fetches a linked template from a loopback server and from the emulator itself", async () => {
    const emulated = emulator.serveTemplate("served.json", {
      $schema: SCHEMA,
      contentVersion: "1.0.0.0",
      resources: [storage("stservedlink")],
    });
    const linked = (name: string, uri: string, parameters: Record<string, unknown> = {}) => ({
      type: "Microsoft.Resources/deployments",
      apiVersion: "2025-04-01",
      name,
      properties: { mode: "Incremental", templateLink: { uri }, parameters },
    });
    const result = await deploy("tpl-main", "linked", {
      $schema: SCHEMA,
      contentVersion: "1.0.0.0",
      resources: [
        linked("fromServer", `${serverUrl}/linked.json`, { name: { value: "stlinkedserver" } }),
        linked("fromEmulator", emulated),
      ],
      outputs: { from: { type: "string", value: "[reference('fromServer').outputs.from.value]" } },
    });
    expect(result.properties?.outputs?.from).toEqual({ type: "String", value: `${serverUrl}/linked.json` });
    expect(emulator.resource(storageId(SUB_A, "tpl-main", "stlinkedserver"))).toBeDefined();
    expect(emulator.resource(storageId(SUB_A, "tpl-main", "stservedlink"))).toBeDefined();
    // The top-level templateLink too.
    const top = await deployments.deployments
      .createOrUpdate(
        "tpl-other",
        "top-link",
        {
          properties: {
            mode: "Incremental",
            templateLink: { uri: `${serverUrl}/linked.json` },
            parameters: { name: { value: "sttoplink" } },
          },
        },
        POLL,
      )
      .pollUntilDone();
    expect(top.properties?.templateLink?.uri).toBe(`${serverUrl}/linked.json`);
    expect(emulator.resource(storageId(SUB_A, "tpl-other", "sttoplink"))).toBeDefined();
  });

  it("refuses a link it cannot fetch with InvalidContentLink, and never leaves loopback", async () => {
    for (const uri of [`${serverUrl}/missing.json`, "https://example.com/exampleTemplate.json"]) {
      const error = await rejection(
        deployments.deployments
          .createOrUpdate(
            "tpl-main",
            "bad-link",
            { properties: { mode: "Incremental", templateLink: { uri } } },
            POLL,
          )
          .pollUntilDone(),
      );
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe("InvalidContentLink");
    }
  });
});

describe("copy loops, reference() and dependsOn", () => {
  it("expands a copy loop with copyIndex and orders resources by dependsOn and reference()", async () => {
    const template = {
      $schema: SCHEMA,
      contentVersion: "1.0.0.0",
      resources: [
        // Declared first, deployed last: it reads the vault that reads the accounts.
        storage("stcopysummary", {
          dependsOn: ["accounts"],
          tags: { vault: "[reference('kvcopy').vaultUri]" },
        }),
        {
          type: "Microsoft.KeyVault/vaults",
          apiVersion: "2023-07-01",
          name: "kvcopy",
          location: "westeurope",
          properties: { vaultUri: "[concat('https://', 'kvcopy', '.vault.azure.net/')]" },
          dependsOn: ["[resourceId('Microsoft.Storage/storageAccounts', 'stcopy1')]"],
        },
        storage("[concat('stcopy', copyIndex(1))]", { copy: { name: "accounts", count: 3 } }),
      ],
      outputs: { count: { type: "int", value: "[length(createArray(1, 2, 3))]" } },
    };
    await deploy("tpl-main", "copies", template);
    for (const i of [1, 2, 3])
      expect(emulator.resource(storageId(SUB_A, "tpl-main", `stcopy${i}`))).toBeDefined();
    expect(emulator.resource(storageId(SUB_A, "tpl-main", "stcopysummary"))).toMatchObject({
      tags: { vault: "https://kvcopy.vault.azure.net/" },
    });
    const order: string[] = [];
    for await (const op of deployments.deploymentOperations.list("tpl-main", "copies")) {
      expect(op.properties?.provisioningState).toBe("Succeeded");
      order.push(op.properties?.targetResource?.resourceName ?? "");
    }
    expect(order.indexOf("stcopy1")).toBeLessThan(order.indexOf("kvcopy"));
    expect(order.indexOf("kvcopy")).toBeLessThan(order.indexOf("stcopysummary"));
    expect(order.indexOf("stcopy3")).toBeLessThan(order.indexOf("stcopysummary"));
  });

  it("refuses unknown dependsOn targets and cycles as InvalidTemplate", async () => {
    const unknown = await rejection(
      deploy("tpl-main", "dep-unknown", {
        $schema: SCHEMA,
        contentVersion: "1.0.0.0",
        resources: [storage("stdepunknown", { dependsOn: ["nowhere"] })],
      }),
    );
    expect([unknown.statusCode, unknown.code]).toEqual([400, "InvalidTemplate"]);
    const cycle = await rejection(
      deploy("tpl-main", "dep-cycle", {
        $schema: SCHEMA,
        contentVersion: "1.0.0.0",
        resources: [
          storage("stcyclea", { dependsOn: ["stcycleb"] }),
          storage("stcycleb", { dependsOn: ["stcyclea"] }),
        ],
      }),
    );
    expect([cycle.statusCode, cycle.code]).toEqual([400, "InvalidTemplate"]);
    expect(cycle.message).toContain("Circular dependency");
  });

  it("deploys an extension resource below the resource its scope names", async () => {
    await deploy("tpl-main", "extension", {
      $schema: SCHEMA,
      contentVersion: "1.0.0.0",
      resources: [
        storage("stextended"),
        {
          type: "Microsoft.Insights/diagnosticSettings",
          apiVersion: "2021-05-01-preview",
          name: "send-to-logs",
          scope: "Microsoft.Storage/storageAccounts/stextended",
          properties: { logs: [] },
          dependsOn: ["stextended"],
        },
      ],
    });
    expect(
      emulator.resource(
        `${storageId(SUB_A, "tpl-main", "stextended")}/providers/Microsoft.Insights/diagnosticSettings/send-to-logs`,
      ),
    ).toMatchObject({ type: "Microsoft.Insights/diagnosticSettings" });
  });
});

describe("what-if", () => {
  it("reports every change type with resource ids and property deltas, nested ones included", async () => {
    await arm.resourceGroups.createOrUpdate("wi", { location: "westeurope" });
    await deploy("wi", "base", {
      $schema: SCHEMA,
      contentVersion: "1.0.0.0",
      resources: [storage("stwimodify", { tags: { env: "dev" } }), storage("stwisame"), storage("stwiother")],
    });
    const properties = (mode: "Incremental" | "Complete") => ({
      mode,
      template: {
        $schema: SCHEMA,
        contentVersion: "1.0.0.0",
        resources: [
          storage("stwimodify", { tags: { env: "prod", owner: "team" } }),
          storage("stwisame"),
          storage("stwinew"),
          {
            type: "Microsoft.Resources/deployments",
            apiVersion: "2025-04-01",
            name: "far",
            subscriptionId: SUB_B,
            resourceGroup: "tpl-far",
            properties: {
              mode: "Incremental",
              expressionEvaluationOptions: { scope: "inner" },
              template: { $schema: SCHEMA, contentVersion: "1.0.0.0", resources: [storage("stwifar")] },
            },
          },
          {
            type: "Microsoft.Resources/deployments",
            apiVersion: "2025-04-01",
            name: "shortCircuited",
            properties: {
              mode: "Incremental",
              expressionEvaluationOptions: { scope: "inner" },
              parameters: { uri: { value: "[reference('stwinew').primaryEndpoints]" } },
              template: {
                $schema: SCHEMA,
                contentVersion: "1.0.0.0",
                parameters: { uri: { type: "object" } },
                resources: [],
              },
            },
          },
        ],
      },
    });
    const incremental = await deployments.deployments
      .whatIf("wi", "plan", { properties: properties("Incremental") }, POLL)
      .pollUntilDone();
    const byId = new Map((incremental.changes ?? []).map((c) => [(c.resourceId ?? "").toLowerCase(), c]));
    const change = (id: string) => byId.get(id.toLowerCase());
    expect(change(storageId(SUB_A, "wi", "stwinew"))?.changeType).toBe("Create");
    expect(change(storageId(SUB_A, "wi", "stwisame"))?.changeType).toBe("NoChange");
    expect(change(storageId(SUB_A, "wi", "stwiother"))?.changeType).toBe("Ignore");
    expect(change(storageId(SUB_B, "tpl-far", "stwifar"))?.changeType).toBe("Create");
    const modify = change(storageId(SUB_A, "wi", "stwimodify"));
    expect(modify?.changeType).toBe("Modify");
    expect(modify?.delta).toEqual(
      expect.arrayContaining([
        { path: "tags.env", propertyChangeType: "Modify", before: "dev", after: "prod" },
        { path: "tags.owner", propertyChangeType: "Create", after: "team" },
      ]),
    );
    const unsupported = change(
      `${rgId(SUB_A, "wi")}/providers/Microsoft.Resources/deployments/shortCircuited`,
    );
    expect(unsupported?.changeType).toBe("Unsupported");
    expect(unsupported?.unsupportedReason).toContain("reference()");
    expect(emulator.resource(storageId(SUB_A, "wi", "stwinew"))).toBeUndefined();

    const complete = await deployments.deployments
      .whatIf("wi", "plan", { properties: properties("Complete") }, POLL)
      .pollUntilDone();
    const deleted = (complete.changes ?? []).find((c) => c.resourceId?.endsWith("/stwiother"));
    expect(deleted?.changeType).toBe("Delete");

    const idsOnly = await deployments.deployments
      .whatIf(
        "wi",
        "plan",
        { properties: { ...properties("Incremental"), whatIfSettings: { resultFormat: "ResourceIdOnly" } } },
        POLL,
      )
      .pollUntilDone();
    const types = Object.fromEntries(
      (idsOnly.changes ?? []).map((c) => [c.resourceId?.split("/").pop(), c.changeType]),
    );
    expect(types).toMatchObject({ stwimodify: "Deploy", stwisame: "Deploy", stwinew: "Create" });
  });
});
