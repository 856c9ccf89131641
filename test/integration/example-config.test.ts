// config/example.yaml, exactly as shipped but for where the test issuer's keys are: every route and
// caller it describes, run through HTTP end to end against the emulator.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument, type YAMLMap, type YAMLSeq } from "yaml";
import { armClients, managedIdentity } from "../../packages/azure-emulator/test/helpers/emulator-clients.ts";
import { ACTOR_OID, eventGridDelivery, eventGridEvent, resourceWriteData } from "../helpers/eventgrid.ts";
import { type Harness, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";
import {
  bearer,
  entraClaims,
  eventGridClaims,
  githubActionsClaims,
  startTestIssuer,
  type TestIssuer,
} from "../helpers/oidc.ts";

const RG = `/subscriptions/${SUBSCRIPTION}/resourceGroups`;

/** The example's token callers fetch their keys from the test issuer instead of the real ones. */
function exampleConfig(jwksUrl: string): string {
  const doc = parseDocument(readFileSync("config/example.yaml", "utf8"));
  const callers = doc.get("callers") as YAMLSeq<YAMLMap>;
  for (const caller of callers.items) {
    if (caller.get("kind") === "eventgrid")
      doc.setIn(["callers", callers.items.indexOf(caller), "entra", "jwksUrl"], jwksUrl);
    else caller.set("jwksUrl", jwksUrl);
  }
  return doc.toString();
}

describe("config/example.yaml", () => {
  let issuer: TestIssuer;
  let h: Harness;
  beforeAll(async () => {
    issuer = await startTestIssuer();
    h = await startHarness({ config: exampleConfig(issuer.jwksUrl) });
  });
  afterAll(async () => {
    await h?.close();
    await issuer?.close();
  });

  const template = {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: { siteName: { type: "string" } },
    resources: [
      {
        type: "Microsoft.Web/sites",
        apiVersion: "2023-12-01",
        name: "[parameters('siteName')]",
        location: "[resourceGroup().location]",
        properties: {},
      },
    ],
    outputs: { site: { type: "string", value: "[parameters('siteName')]" } },
  };

  async function deployFromWorkflow(claims: Record<string, unknown>) {
    const token = await issuer.sign(githubActionsClaims({ repository_id: "681234567", ...claims }));
    return h.request("/hooks/github-deploy", {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json", "idempotency-key": "run-1-attempt-1" },
      body: JSON.stringify({ type: "deploy", app: "web", template, parameters: { siteName: "contoso-web" } }),
    });
  }

  it("github-deploys-app: the workflow's group is ensured, then its template deployed into it", async () => {
    const res = await deployFromWorkflow({});
    expect(res.status, await res.clone().text()).toBe(202);
    const jobs = ((await res.json()) as { jobs: { id: string; operation: string }[] }).jobs;
    expect(jobs.map((j) => j.operation)).toEqual(["resourceGroup.ensure", "deployment.create"]);
    const [group, deployment] = await Promise.all(jobs.map((j) => h.waitForJob(j.id)));
    expect(group?.state).toBe("succeeded");
    expect(deployment?.state).toBe("succeeded");
    expect(deployment?.result).toMatchObject({ outputs: { site: "contoso-web" } });
    expect((h.emulator.resource(`${RG}/app-web`) as { tags: unknown }).tags).toEqual({
      deployedBy: "contoso/web",
    });
    expect(h.emulator.resource(`${RG}/app-web/providers/Microsoft.Web/sites/contoso-web`)).toBeDefined();
  });

  it("github-deploys-app: refuses another repository and a branch that is neither main nor a tag", async () => {
    expect((await deployFromWorkflow({ repository_id: "999", run_id: "2" })).status).toBe(401);
    expect((await deployFromWorkflow({ ref: "refs/heads/feature/x", run_id: "3" })).status).toBe(401);
  });

  it("tag-written-resources: tags a written resource with who wrote it, and leaves tag writes alone", async () => {
    const { resources } = armClients(h.emulator, managedIdentity(h.emulator));
    await resources.resourceGroups.createOrUpdate("written-by-alice", { location: "westeurope" });
    const token = await issuer.sign(eventGridClaims());
    const deliver = (event: Record<string, unknown>) =>
      h.request("/events/resource-writes", eventGridDelivery([event], { headers: bearer(token) }));

    const res = await deliver(eventGridEvent({ data: resourceWriteData("written-by-alice") }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ events: 1, jobs: 1, created: 1 });
    const { jobs } = await h.runtime.store.list({ limit: 50 });
    const job = jobs.find((j) => j.operation === "tags.merge" && j.scope.endsWith("/written-by-alice"));
    expect(job?.caller.onBehalfOf).toMatchObject({ id: ACTOR_OID, name: "Alice Example" });
    expect((await h.waitForJob(job?.id as string)).state).toBe("succeeded");
    expect((h.emulator.resource(`${RG}/written-by-alice`) as { tags: unknown }).tags).toEqual({
      writtenBy: "Alice Example",
      writtenByObjectId: ACTOR_OID,
    });

    const tagWrite = {
      ...resourceWriteData("written-by-alice"),
      operationName: "Microsoft.Resources/tags/write",
    };
    const ignored = await deliver(eventGridEvent({ data: tagWrite }));
    expect(ignored.status).toBe(200);
    expect(await ignored.json()).toMatchObject({ events: 1, jobs: 0 });
  });

  it("vm-scheduler: starts and deallocates the lab's VMs through the direct API, and nothing else", async () => {
    const vm = `${RG}/lab-vms/providers/Microsoft.Compute/virtualMachines/lab1`;
    // The lab exists already; the scheduler may not create it.
    await seedVm(h, vm);
    const token = await issuer.sign(entraClaims());
    const act = (action: string, resourceId = vm) =>
      h.request("/v1/operations/resource.action", {
        method: "POST",
        headers: { ...bearer(token), "content-type": "application/json", prefer: "wait=20" },
        body: JSON.stringify({ resourceId, action }),
      });
    for (const [action, state] of [
      ["deallocate", "deallocated"],
      ["start", "running"],
    ] as const) {
      const res = await act(action);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { jobs: { state: string }[] }).jobs[0]?.state).toBe("succeeded");
      expect((h.emulator.resource(vm) as { properties: { powerState: string } }).properties.powerState).toBe(
        state,
      );
    }
    expect((await act("restart")).status).toBe(403);
    expect(
      (await act("start", `${RG}/app-web/providers/Microsoft.Compute/virtualMachines/other`)).status,
    ).toBe(403);
  });
});

/** Creates the lab's group and VM in the emulator with the SDK, the way an operator would. */
async function seedVm(h: Harness, vm: string): Promise<void> {
  const { resources } = armClients(h.emulator, managedIdentity(h.emulator));
  await resources.resourceGroups.createOrUpdate("lab-vms", { location: "westeurope" });
  await resources.resources.createOrUpdateById(vm, "2024-07-01", { location: "westeurope" }).pollUntilDone();
}
