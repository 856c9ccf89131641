// A template deployment stays inside the caller's grants, however the template tries to leave them:
// nested deployments into another group or subscription (inner and outer scope), a linked template,
// extension resources with `scope`, role assignments and deployment scripts. ARM's own what-if names
// what would change; every escape is refused before anything reaches ARM's write path.
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { defaultIdentities, type EmulatedIdentity } from "@armbridge/azure-emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { armClients, managedIdentity } from "../../packages/azure-emulator/test/helpers/emulator-clients.ts";
import {
  TEMPLATE_SCHEMA as SCHEMA,
  storageAccount,
  template,
} from "../../packages/azure-emulator/test/helpers/templates.ts";
import { githubDelivery } from "../helpers/github.ts";
import { type Harness, HOOK_SECRET, SUBSCRIPTION as SUB, startHarness } from "../helpers/harness.ts";

const SUB2 = "00000000-0000-0000-0000-000000000002";
const KEY = "deployer-key-0123456789";
const ADMIN_KEY = "admin-deployer-key-0123456789";
const sha = (key: string) => `sha256:${createHash("sha256").update(key).digest("hex")}`;
const APP = `/subscriptions/${SUB}/resourceGroups/app-*`;

const CONFIG = `
callers:
  - { id: deployer, kind: api-key, keys: [{ hash: "${sha(KEY)}" }] }
  - { id: admin-deployer, kind: api-key, keys: [{ hash: "${sha(ADMIN_KEY)}" }] }
  - { id: ci, kind: github-webhook, secrets: [{ env: HOOK_SECRET }] }
hooks: [{ id: deploy, callers: [ci] }]
grants:
  - caller: deployer
    operations: [deployment.create, deployment.whatIf, deployment.validate]
    resourceTypes: [Microsoft.Storage/storageAccounts]
    scopes: ["${APP}"]
  - caller: admin-deployer
    operations: [deployment.create]
    resourceTypes: [Microsoft.Storage/storageAccounts, Microsoft.Authorization/roleAssignments]
    scopes: ["${APP}"]
  - { caller: ci, operations: [deployment.create], scopes: ["${APP}"] }
routes:
  - id: deploy
    trigger: { hook: deploy, events: [push] }
    actions:
      - operation: deployment.create
        parameters:
          subscriptionId: "${SUB}"
          resourceGroupName: app-web
          deploymentName: "{{ event.data.name }}"
          template: "{{ event.data.template }}"
`;

const storage = (name: string) => storageAccount(name, { location: "westeurope" });
const nested = (name: string, target: Record<string, string>, resources: unknown[], scope = "inner") => ({
  type: "Microsoft.Resources/deployments",
  apiVersion: "2025-04-01",
  name,
  ...target,
  properties: { mode: "Incremental", expressionEvaluationOptions: { scope }, template: template(resources) },
});
const storageId = (sub: string, rg: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${name}`;
const roleAssignment = (name: string, scope: string) => ({
  type: "Microsoft.Authorization/roleAssignments",
  apiVersion: "2022-04-01",
  name,
  scope,
  properties: {
    roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635`,
    principalId: "11111111-2222-4333-8444-555555555555",
  },
});

type Problem = { code: string; detail: string; reasons?: string[]; resources?: string[] };

describe("template deployments against the caller's grants", () => {
  let h: Harness;
  beforeAll(async () => {
    // The identity holds Owner on both subscriptions: the case where only armbridge stands between a
    // narrow grant and a role assignment.
    const [identity] = defaultIdentities([SUB, SUB2]);
    const owner = {
      ...identity,
      roleAssignments: [SUB, SUB2].map((s) => ({ scope: `/subscriptions/${s}`, actions: ["*"] })),
    };
    h = await startHarness({
      config: CONFIG,
      emulator: { subscriptions: [SUB, SUB2], identities: [owner] as EmulatedIdentity[] },
    });
    const credential = managedIdentity(h.emulator);
    const one = armClients(h.emulator, credential, SUB);
    for (const rg of ["app-web", "prod"])
      await one.resources.resourceGroups.createOrUpdate(rg, { location: "westeurope" });
    await armClients(h.emulator, credential, SUB2).resources.resourceGroups.createOrUpdate("app-web", {
      location: "westeurope",
    });
    // Something in prod that a what-if would list as left alone (Ignore).
    await one.deployments.deployments
      .createOrUpdate("prod", "seed", {
        properties: { mode: "Incremental", template: template([storage("stprodsecret")]) },
      })
      .pollUntilDone();
  });
  afterAll(async () => {
    await h?.close();
  });
  let writesBefore = 0;
  beforeEach(() => {
    writesBefore = h.emulator.requests({ method: "PUT" }).length;
  });
  /** No PUT reached the emulator since the test began: nothing was deployed, validated or written. */
  const noWrites = () => expect(h.emulator.requests({ method: "PUT" }).slice(writesBefore)).toEqual([]);

  const call = async (operation: string, body: Record<string, unknown>, key = KEY) =>
    h.request(`/v1/operations/${operation}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", prefer: "wait=20" },
      body: JSON.stringify({ subscriptionId: SUB, resourceGroupName: "app-web", ...body }),
    });
  /** A delivery through the route's hook, answered once its job finished (Prefer: wait). */
  const deliver = async (name: string, body: unknown) => {
    const delivery = await githubDelivery(HOOK_SECRET, { name, template: body });
    const res = await h.request("/hooks/deploy", {
      ...delivery,
      headers: { ...(delivery.headers as Record<string, string>), prefer: "wait=20" },
    });
    type Failed = { state: string; error: { code: string; status: number; message: string } };
    return ((await res.json()) as { jobs: Failed[] }).jobs[0];
  };
  const refused = async (res: Response): Promise<Problem> => {
    expect(res.status, await res.clone().text()).toBe(403);
    const problem = (await res.json()) as Problem;
    expect(problem.code).toBe("forbidden");
    // What was asked for is named; the caller's grants are not.
    expect(JSON.stringify(problem)).not.toMatch(/app-\*|resourceTypes|Microsoft\.Storage\/storageAccounts"/);
    return problem;
  };

  it.each([
    [
      "a nested deployment into another group (inner scope)",
      nested("n", { resourceGroup: "prod" }, [storage("stinprod")]),
      storageId(SUB, "prod", "stinprod"),
    ],
    [
      "a nested deployment into another group (outer scope)",
      nested("n", { resourceGroup: "prod" }, [storage("stouter")], "outer"),
      storageId(SUB, "prod", "stouter"),
    ],
    [
      "a nested deployment into another subscription's group of the same name",
      nested("n", { subscriptionId: SUB2, resourceGroup: "app-web" }, [storage("stfar")]),
      storageId(SUB2, "app-web", "stfar"),
    ],
    [
      "a nested deployment nested once more into another group",
      nested("outer", {}, [nested("inner", { resourceGroup: "prod" }, [storage("stdeep")])]),
      storageId(SUB, "prod", "stdeep"),
    ],
  ])("refuses %s with 403 naming the resource, and writes nothing", async (_, resource, id) => {
    const problem = await refused(
      await call("deployment.create", {
        deploymentName: "escape",
        template: template([storage("stfine"), resource]),
      }),
    );
    expect(problem.resources).toEqual([id]);
    expect(problem.detail).toContain(id);
    noWrites();
    expect(h.emulator.resource(id)).toBeUndefined();
    expect(h.emulator.resource(storageId(SUB, "app-web", "stfine"))).toBeUndefined();
  });

  it("refuses a linked template (templateLink) that reaches into another group", async () => {
    const uri = h.emulator.serveTemplate(
      "escape.json",
      template([nested("n", { resourceGroup: "prod" }, [storage("stlinked")])]),
    );
    const problem = await refused(
      await call("deployment.create", { deploymentName: "linked", templateLink: { uri } }),
    );
    expect(problem.resources).toEqual([storageId(SUB, "prod", "stlinked")]);
    noWrites();
  });

  it("refuses role assignments, locks and deployment scripts unless the grant names their types", async () => {
    const account = storageId(SUB, "app-web", "stextended");
    const assignment = roleAssignment(
      "0f6a3c1e-0000-4000-8000-000000000001",
      "Microsoft.Storage/storageAccounts/stextended",
    );
    const lock = {
      type: "Microsoft.Authorization/locks",
      apiVersion: "2020-05-01",
      name: "nodelete",
      properties: { level: "CanNotDelete" },
    };
    const script = {
      type: "Microsoft.Resources/deploymentScripts",
      apiVersion: "2023-08-01",
      name: "run",
      location: "westeurope",
      kind: "AzureCLI",
      properties: {
        azCliVersion: "2.60.0",
        scriptContent: "az role assignment create",
        retentionInterval: "PT1H",
      },
    };
    const problem = await refused(
      await call("deployment.create", {
        deploymentName: "privileged",
        template: template([storage("stextended"), assignment, lock, script]),
      }),
    );
    expect(problem.resources, problem.detail).toEqual(
      expect.arrayContaining([
        `${account}/providers/Microsoft.Authorization/roleAssignments/0f6a3c1e-0000-4000-8000-000000000001`,
        `/subscriptions/${SUB}/resourceGroups/app-web/providers/Microsoft.Authorization/locks/nodelete`,
        `/subscriptions/${SUB}/resourceGroups/app-web/providers/Microsoft.Resources/deploymentScripts/run`,
      ]),
    );
    expect(problem.resources).not.toContain(account);
    expect(problem.reasons?.join("\n")).toContain(
      "on resources of type 'Microsoft.Authorization/roleAssignments'",
    );
    noWrites();

    // A grant without resourceTypes still does not reach them: they must be named.
    const job = await deliver("hook-privileged", template([script]));
    expect(job).toMatchObject({ state: "failed", error: { code: "DeploymentOutsideGrants" } });
    expect(job?.error.message).toContain("/providers/Microsoft.Resources/deploymentScripts/run");
    noWrites();

    // Named in the grant: the role assignment on the caller's own storage account is deployed.
    const allowed = await call(
      "deployment.create",
      {
        deploymentName: "named",
        template: template([storage("stextended"), { ...assignment, dependsOn: ["stextended"] }]),
      },
      ADMIN_KEY,
    );
    expect(allowed.status, await allowed.clone().text()).toBe(200);
    expect(((await allowed.json()) as { jobs: { state: string }[] }).jobs[0]?.state).toBe("succeeded");
  });

  it("refuses an Unsupported change and a what-if that fails, since neither can be checked", async () => {
    const shortCircuited = {
      type: "Microsoft.Resources/deployments",
      apiVersion: "2025-04-01",
      name: "later",
      properties: {
        mode: "Incremental",
        expressionEvaluationOptions: { scope: "inner" },
        parameters: { uri: { value: "[reference('stnew').primaryEndpoints]" } },
        template: {
          $schema: SCHEMA,
          contentVersion: "1.0.0.0",
          parameters: { uri: { type: "object" } },
          resources: [],
        },
      },
    };
    const unsupported = await refused(
      await call("deployment.create", {
        deploymentName: "unsupported",
        template: template([storage("stnew"), shortCircuited]),
      }),
    );
    expect(unsupported.reasons?.[0]).toMatch(
      /what-if cannot predict the change to .*\/deployments\/later' \(Unsupported/,
    );
    const failing = await refused(
      await call("deployment.create", {
        deploymentName: "broken",
        template: template([{ type: "Microsoft.Storage/storageAccounts" }]),
      }),
    );
    expect(failing.detail).toMatch(/^what-if of the deployment failed/);
    noWrites();
  });

  it("gives whatIf and validate the same check, and no look at the resources of another group", async () => {
    const intoProd = template([nested("n", { resourceGroup: "prod" }, [])]);
    // Nothing would be written in prod, but what-if lists prod's resources as left alone: not shown.
    const whatIf = await call("deployment.whatIf", { deploymentName: "peek", template: intoProd });
    expect(whatIf.status).toBe(200);
    expect(await whatIf.text()).not.toContain("stprodsecret");
    const into = template([nested("n", { resourceGroup: "prod" }, [storage("stpeek")])]);
    for (const operation of ["deployment.whatIf", "deployment.validate"]) {
      const problem = await refused(await call(operation, { deploymentName: "peek", template: into }));
      expect(problem.resources).toEqual([storageId(SUB, "prod", "stpeek")]);
    }
    noWrites();
  });

  it("shows in a dry run which changes would be refused, without what ARM would do to them", async () => {
    const res = await call("deployment.create", {
      deploymentName: "dry",
      dryRun: true,
      template: template([
        storage("stdryok"),
        nested("n", { resourceGroup: "prod" }, [storage("stdryprod")]),
      ]),
    });
    expect(res.status).toBe(200);
    const [job] = ((await res.json()) as { jobs: { state: string; result: Record<string, unknown> }[] }).jobs;
    expect(job?.result).toMatchObject({
      dryRun: true,
      decision: "refused",
      validation: null,
      whatIf: {
        changes: expect.arrayContaining([
          { resourceId: storageId(SUB, "app-web", "stdryok"), changeType: "Create", decision: "allowed" },
          {
            resourceId: storageId(SUB, "prod", "stdryprod"),
            decision: "refused",
            reason: expect.stringContaining(storageId(SUB, "prod", "stdryprod")),
          },
        ]),
      },
    });
    noWrites();
  });

  it("fails a route's job that reaches into another group, before the deployment is sent", async () => {
    const job = await deliver(
      "hook-escape",
      template([nested("n", { resourceGroup: "prod" }, [storage("sthookprod")])]),
    );
    expect(job).toMatchObject({ state: "failed", error: { code: "DeploymentOutsideGrants", status: 403 } });
    expect(job?.error.message).toContain(storageId(SUB, "prod", "sthookprod"));
    noWrites();
  });

  it("fails the job, naming it, when a linked template deploys more than its what-if showed", async () => {
    // A template server that answers what-if's fetch with nothing and the deployment's with a write.
    let fetches = 0;
    const server = http.createServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(template(fetches === 1 ? [] : [storage("sttoctou")])));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/flip.json`;
      const linked = {
        type: "Microsoft.Resources/deployments",
        apiVersion: "2025-04-01",
        name: "flip",
        resourceGroup: "prod",
        properties: { mode: "Incremental", templateLink: { uri } },
      };
      const job = await deliver("hook-toctou", template([linked]));
      // The write happened (nothing before it could see it); the job says so instead of succeeding.
      expect(h.emulator.resource(storageId(SUB, "prod", "sttoctou"))).toBeDefined();
      expect(job).toMatchObject({ state: "failed", error: { code: "DeploymentWroteOutsideGrants" } });
      expect(job?.error.message).toContain(storageId(SUB, "prod", "sttoctou"));
      expect(fetches).toBeGreaterThan(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("deploys a template that stays inside the grants", async () => {
    const res = await call("deployment.create", {
      deploymentName: "fine",
      template: template([storage("stinside")]),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { jobs: { state: string }[] }).jobs[0]?.state).toBe("succeeded");
    expect(h.emulator.resource(storageId(SUB, "app-web", "stinside"))).toBeDefined();
  });
});
