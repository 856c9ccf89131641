// Every operation of the catalog, called through the direct API (POST /v1/operations/{name}) and run
// by the worker with the real SDK clients against the emulator.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";

const KEY = "operations-test-key";
const NARROW_KEY = "narrow-test-key";
const hash = (key: string) => `sha256:${createHash("sha256").update(key).digest("hex")}`;
const RG = `/subscriptions/${SUBSCRIPTION}/resourceGroups`;

const CONFIG = `
callers:
  - { id: svc, kind: api-key, keys: [{ hash: "${hash(KEY)}" }] }
  - { id: vm-operator, kind: api-key, keys: [{ hash: "${hash(NARROW_KEY)}" }] }
grants:
  - caller: svc
    operations: ["*"]
    actions: [start, deallocate]
    scopes: ["/subscriptions/${SUBSCRIPTION}"]
  - caller: vm-operator
    operations: [resource.action, resource.get]
    actions: [start, deallocate, powerOff]
    resourceTypes: [Microsoft.Compute/virtualMachines]
    scopes: ["${RG}/ops-vms"]
`;

interface JobBody {
  id: string;
  state: string;
  result: Record<string, unknown> | null;
  error: { code: string; message: string; details?: unknown } | null;
}

describe("operations through the direct API", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: CONFIG, emulator: { lro: { durationMs: 30 } } });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function call(operation: string, body: unknown, key = KEY, headers: Record<string, string> = {}) {
    return h.request(`/v1/operations/${operation}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        prefer: "wait=20",
        ...headers,
      },
      body: JSON.stringify(body),
    });
  }

  /** Runs an operation to its end and returns the finished job. */
  async function run(operation: string, body: unknown, key = KEY): Promise<JobBody> {
    const res = await call(operation, body, key);
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    const job = ((await res.json()) as { jobs: JobBody[] }).jobs[0] as JobBody;
    if (!["succeeded", "failed", "dead"].includes(job.state)) {
      await h.waitForJob(job.id);
      return (await (
        await h.request(`/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as JobBody;
    }
    return job;
  }

  it("ensures, reads and deletes a resource group (long-running delete)", async () => {
    const ensured = await run("resourceGroup.ensure", {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "ops-rg",
      location: "westeurope",
    });
    expect(ensured.state).toBe("succeeded");
    const read = await run("resourceGroup.get", {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "OPS-RG",
    });
    expect(read.result).toMatchObject({ id: `${RG}/ops-rg`, location: "westeurope" });
    const deleted = await run("resourceGroup.delete", {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "ops-rg",
    });
    expect(deleted.state).toBe("succeeded");
    const gone = await run("resourceGroup.get", {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "ops-rg",
    });
    expect(gone.state).toBe("failed");
    expect(gone.error).toMatchObject({ code: "ResourceGroupNotFound" });
  });

  it("creates, reads, patches and deletes a resource by id, resolving the api-version", async () => {
    await run("resourceGroup.ensure", {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "ops-res",
      location: "westeurope",
    });
    const id = `${RG}/ops-res/providers/Microsoft.Storage/storageAccounts/opsdata`;
    const created = await run("resource.createOrUpdate", {
      resourceId: id,
      body: { location: "westeurope", kind: "StorageV2", sku: { name: "Standard_LRS" }, properties: {} },
    });
    expect(created.state).toBe("succeeded");
    expect(created.result?.apiVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const patched = await run("resource.patch", { resourceId: id, body: { tags: { owner: "ops" } } });
    expect(patched.result).toMatchObject({ tags: { owner: "ops" } });
    const read = await run("resource.get", { resourceId: id });
    expect(read.result).toMatchObject({ name: "opsdata", tags: { owner: "ops" } });
    expect((await run("resource.delete", { resourceId: id })).state).toBe("succeeded");
    expect(h.emulator.resource(id)).toBeUndefined();

    const badVersion = await run("resource.get", { resourceId: id, apiVersion: "1999-01-01" });
    expect(badVersion.error?.code).toBe("NoRegisteredProviderFound");
  });

  it("merges, replaces and deletes tags at a scope", async () => {
    await run("resourceGroup.ensure", {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "ops-tags",
      location: "westeurope",
      tags: { keep: "1" },
    });
    const scope = `${RG}/ops-tags`;
    expect((await run("tags.merge", { scope, tags: { team: "web" } })).result).toMatchObject({
      tags: { keep: "1", team: "web" },
    });
    expect((await run("tags.delete", { scope, keys: ["keep", "missing"] })).result).toMatchObject({
      tags: { team: "web" },
      absent: ["missing"],
    });
    expect((await run("tags.replace", { scope, tags: { only: "this" } })).result).toMatchObject({
      tags: { only: "this" },
    });
  });

  it("runs a provider action a grant lists, and refuses one it does not", async () => {
    await run("resourceGroup.ensure", {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "ops-vms",
      location: "westeurope",
    });
    const vm = `${RG}/ops-vms/providers/Microsoft.Compute/virtualMachines/vm1`;
    await run("resource.createOrUpdate", {
      resourceId: vm,
      body: { location: "westeurope", properties: {} },
    });
    const stopped = await run("resource.action", { resourceId: vm, action: "deallocate" }, NARROW_KEY);
    expect(stopped.state).toBe("succeeded");
    expect((h.emulator.resource(vm) as { properties: { powerState: string } }).properties.powerState).toBe(
      "deallocated",
    );

    const refused = await call("resource.action", { resourceId: vm, action: "restart" }, NARROW_KEY);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toContain("action 'restart'");
    const otherType = await call(
      "resource.get",
      { resourceId: `${RG}/ops-vms/providers/Microsoft.Storage/storageAccounts/x` },
      NARROW_KEY,
    );
    expect(otherType.status).toBe(403);
    expect(((await otherType.json()) as { detail: string }).detail).toContain(
      "Microsoft.Storage/storageAccounts",
    );
  });

  it("deploys a template to its end with outputs, validates it and predicts it with what-if", async () => {
    await run("resourceGroup.ensure", {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "ops-dep",
      location: "westeurope",
    });
    const deployment = {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "ops-dep",
      deploymentName: "web",
      template: storageTemplate,
      parameters: { name: "opsweb" },
    };
    const validated = await run("deployment.validate", deployment);
    expect(validated.result).toMatchObject({ valid: true });
    const whatIf = await run("deployment.whatIf", deployment);
    expect(whatIf.result).toMatchObject({ changes: [{ changeType: "Create" }] });
    const created = await run("deployment.create", deployment);
    expect(created.state).toBe("succeeded");
    expect(created.result).toMatchObject({
      provisioningState: "Succeeded",
      outputs: { accountName: "opsweb" },
    });
    expect(
      h.emulator.resource(`${RG}/ops-dep/providers/Microsoft.Storage/storageAccounts/opsweb`),
    ).toBeDefined();
  });

  it("reports ARM's own reason for an invalid and for a failed deployment", async () => {
    await run("resourceGroup.ensure", {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "ops-bad",
      location: "westeurope",
    });
    const base = { subscriptionId: SUBSCRIPTION, resourceGroupName: "ops-bad", deploymentName: "bad" };
    // What-if runs before a deployment is accepted, so ARM's refusal of the template comes back at once.
    const problem = async (template: unknown) => {
      const res = await call("deployment.create", { ...base, template });
      expect(res.status).toBe(403);
      return ((await res.json()) as { arm: { code: string; details?: unknown } }).arm;
    };
    expect((await problem({ resources: "not-a-list" })).code).toBe("InvalidTemplate");
    const failed = await problem({
      $schema: storageTemplate.$schema,
      contentVersion: "1.0.0.0",
      resources: [
        { type: "Microsoft.Nowhere/things", apiVersion: "2024-01-01", name: "x", location: "westeurope" },
      ],
    });
    // ARM's preflight refuses it before it runs: 400 InvalidTemplateDeployment, reported as ARM reports it.
    expect(failed.code).toBe("InvalidTemplateDeployment");
    expect(JSON.stringify(failed.details)).toContain("PreflightValidationCheckFailed");
    expect(JSON.stringify(failed.details)).toContain("NoRegisteredProviderFound");
  });

  it("deploys at subscription scope", async () => {
    const created = await run("deployment.create", {
      subscriptionId: SUBSCRIPTION,
      deploymentName: "sub-level",
      location: "westeurope",
      template: {
        $schema:
          "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
        contentVersion: "1.0.0.0",
        resources: [],
        outputs: { where: { type: "string", value: "subscription" } },
      },
    });
    expect(created.result).toMatchObject({ outputs: { where: "subscription" } });
  });

  it("answers a dry run with the request it would send, and sends no write", async () => {
    const before = h.emulator.requests({ method: "PUT" }).length;
    const id = `${RG}/ops-res/providers/Microsoft.Web/sites/dry`;
    const dry = await run("resource.createOrUpdate", {
      resourceId: id,
      body: { location: "westeurope" },
      dryRun: true,
    });
    expect(dry.result).toMatchObject({
      dryRun: true,
      decision: "allowed",
      request: { method: "PUT", path: id },
    });
    expect(h.emulator.requests({ method: "PUT" }).length).toBe(before);

    await run("resourceGroup.ensure", {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "ops-dry",
      location: "westeurope",
    });
    const planned = await run("deployment.create", {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "ops-dry",
      deploymentName: "dry",
      template: storageTemplate,
      parameters: { name: "drydata" },
      dryRun: true,
    });
    expect(planned.result).toMatchObject({
      dryRun: true,
      validation: { valid: true },
      whatIf: { changes: [{ changeType: "Create" }] },
    });
    expect(
      h.emulator.resource(`${RG}/ops-dry/providers/Microsoft.Storage/storageAccounts/drydata`),
    ).toBeUndefined();
  });

  it("refuses unknown operations, invalid bodies and missing credentials precisely", async () => {
    expect((await call("resourceGroup.explode", {})).status).toBe(404);
    const invalid = await call("resourceGroup.ensure", { subscriptionId: "nope", resourceGroupName: "a/b" });
    expect(invalid.status).toBe(400);
    const problem = (await invalid.json()) as { code: string; errors: string[] };
    expect(problem.code).toBe("invalid_parameters");
    expect(problem.errors.join("\n")).toMatch(/body\.subscriptionId: .*\n?.*body\.resourceGroupName/s);
    expect(problem.errors.join("\n")).toContain("body.location");
    const anonymous = await h.request("/v1/operations/resourceGroup.get", { method: "POST", body: "{}" });
    expect(anonymous.status).toBe(401);
  });

  it("maps one Idempotency-Key to one job, and refuses its reuse for another request", async () => {
    const body = { subscriptionId: SUBSCRIPTION, resourceGroupName: "ops-idem", location: "westeurope" };
    const first = await call("resourceGroup.ensure", body, KEY, { "idempotency-key": "k-1" });
    const again = await call("resourceGroup.ensure", body, KEY, { "idempotency-key": "k-1" });
    const firstJob = ((await first.json()) as { jobs: JobBody[] }).jobs[0];
    const againBody = (await again.json()) as { jobs: JobBody[]; replayed: boolean };
    expect(againBody.replayed).toBe(true);
    expect(againBody.jobs[0]?.id).toBe(firstJob?.id);
    const puts = h.emulator.requests({ method: "PUT" }).filter((r) => r.canonicalPath.endsWith("/ops-idem"));
    expect(puts).toHaveLength(1);

    const reused = await call("resourceGroup.ensure", { ...body, location: "northeurope" }, KEY, {
      "idempotency-key": "k-1",
    });
    expect(reused.status).toBe(409);
    expect(((await reused.json()) as { code: string }).code).toBe("conflict");
  });
});

const storageTemplate = {
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  parameters: { name: { type: "string" } },
  resources: [
    {
      type: "Microsoft.Storage/storageAccounts",
      apiVersion: "2023-05-01",
      name: "[parameters('name')]",
      location: "[resourceGroup().location]",
      sku: { name: "Standard_LRS" },
      kind: "StorageV2",
      properties: {},
    },
  ],
  outputs: { accountName: { type: "string", value: "[parameters('name')]" } },
};
