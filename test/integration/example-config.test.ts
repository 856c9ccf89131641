// config/example.yaml, exactly as shipped but for where the test issuer's keys are: every route and
// caller it describes, run through HTTP end to end against the emulator, whose identity holds only
// the roles `armbridge roles` generates for it.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { defaultIdentities, type EmulatedIdentity, type Emulator } from "@armbridge/azure-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument, type YAMLMap, type YAMLSeq } from "yaml";
import { armClients, managedIdentity } from "../../packages/azure-emulator/test/helpers/emulator-clients.ts";
import { loadProcessConfig } from "../../src/config/load.ts";
import { catalog, operationNames } from "../../src/operations/catalog.ts";
import { buildRoles } from "../../src/policy/role-definition.ts";
import { ACTOR_OID, eventGridEvent, resourceWriteData } from "../helpers/eventgrid.ts";
import { type Harness, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";
import {
  bearer,
  entraClaims,
  eventGridClaims,
  githubActionsClaims,
  startTestIssuer,
  type TestIssuer,
} from "../helpers/oidc.ts";
import { refusal } from "../helpers/refusal.ts";

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

/** The VM's identity with exactly the generated roles, and an operator's for setting up the lab. */
function identities(): EmulatedIdentity[] {
  const { config } = loadProcessConfig(["--config", "config/example.yaml"], operationNames, {
    secrets: "placeholder",
  });
  const plan = buildRoles(config.grants, catalog);
  return [
    {
      kind: "system",
      principalId: "5c1f2e3d-0000-4000-8000-000000000001",
      clientId: "5c1f2e3d-0000-4000-8000-0000000000c1",
      roleAssignments: plan.assignments.map((a) => {
        const role = plan.definitions.find((d) => d.Name === a.role);
        return { scope: a.scope, actions: role?.Actions ?? [], notActions: role?.NotActions ?? [] };
      }),
    },
    {
      kind: "user",
      principalId: "0e7a0000-0000-4000-8000-000000000002",
      clientId: OPERATOR_CLIENT_ID,
      // A Contributor, as the default identity is.
      roleAssignments: defaultIdentities([SUBSCRIPTION])[0]?.roleAssignments ?? [],
    },
  ];
}

const OPERATOR_CLIENT_ID = "0e7a0000-0000-4000-8000-0000000000c2";

/** SDK clients of the operator's identity, which sets up what the example expects to exist. */
const operator = (emulator: Emulator) => armClients(emulator, managedIdentity(emulator, OPERATOR_CLIENT_ID));

describe("config/example.yaml", () => {
  let issuer: TestIssuer;
  let h: Harness;
  beforeAll(async () => {
    issuer = await startTestIssuer();
    h = await startHarness({ config: exampleConfig(issuer.jwksUrl), emulator: { identities: identities() } });
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
    const refused = { status: 401, code: "unauthenticated" };
    expect(await refusal(await deployFromWorkflow({ repository_id: "999", run_id: "2" }))).toEqual(refused);
    expect(await refusal(await deployFromWorkflow({ ref: "refs/heads/feature/x", run_id: "3" }))).toEqual(
      refused,
    );
  });

  it("tag-written-resources: tags a written resource with who wrote it, and leaves tag writes alone", async () => {
    const { resources } = operator(h.emulator);
    await resources.resourceGroups.createOrUpdate("written-by-alice", { location: "westeurope" });
    const token = await issuer.sign(eventGridClaims());
    const deliver = (event: Record<string, unknown>) =>
      h.request("/events/resource-writes", cloudEventDelivery(event, bearer(token)));

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

  it("resource-writes: agrees with the subscription deploy/main.bicep creates (schema, handshake, path)", async () => {
    const main = readFileSync("deploy/main.bicep", "utf8");
    const schema = /deliverySchema: eventGrid\.\?deliverySchema \?\? '(\w+)'/.exec(main)?.[1];
    expect(schema).toBe("CloudEventSchemaV1_0");
    expect(main).toContain(
      // Bicep's interpolation, not JavaScript's.
      ["endpointUrl: 'https://$", "{host.outputs.fqdn}/events/$", "{eventGrid.?sourceId ?? 'azure'}'"].join(
        "",
      ),
    );
    // Creating the subscription runs the CloudEvents handshake: Event Grid's origin must be allowed.
    const handshake = await h.request("/events/resource-writes", {
      method: "OPTIONS",
      headers: { "webhook-request-origin": "eventgrid.azure.net", "webhook-request-rate": "120" },
    });
    expect(handshake.status).toBe(200);
    expect(handshake.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
    // And a delivery in that schema, with Event Grid's Entra token, is taken.
    const token = await issuer.sign(eventGridClaims());
    const event = eventGridEvent({ data: resourceWriteData("agreed-schema") });
    const res = await h.request("/events/resource-writes", cloudEventDelivery(event, bearer(token)));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ events: 1, jobs: 1 });
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

/** An Event Grid-schema event as a CloudEvents 1.0 subscription delivers it (structured mode). */
function cloudEventDelivery(event: Record<string, unknown>, headers: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/cloudevents+json; charset=utf-8", ...headers },
    body: JSON.stringify({
      specversion: "1.0",
      id: event.id ?? randomUUID(),
      source: event.topic,
      subject: event.subject,
      type: event.eventType,
      time: event.eventTime,
      datacontenttype: "application/json",
      data: event.data,
    }),
  };
}

/** Creates the lab's group and VM in the emulator with the SDK, the way an operator would. */
async function seedVm(h: Harness, vm: string): Promise<void> {
  const { resources } = operator(h.emulator);
  await resources.resourceGroups.createOrUpdate("lab-vms", { location: "westeurope" });
  await resources.resources.createOrUpdateById(vm, "2024-07-01", { location: "westeurope" }).pollUntilDone();
}
