// armbridge's operations against an emulator that behaves like ARM where armbridge once assumed
// otherwise: a deployment re-PUT after a lost response or a crash, preflight errors, poller resume of
// asynchronous resource writes, and Retry-After on long-running polls.
import { randomUUID } from "node:crypto";
import { type Emulator, startEmulator } from "@armbridge/azure-emulator";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { managedIdentity } from "../../packages/azure-emulator/test/helpers/emulator-clients.ts";
import {
  storageAccount,
  template as templateOf,
} from "../../packages/azure-emulator/test/helpers/templates.ts";
import { type ArmClients, createArmClients } from "../../src/azure/arm-clients.ts";
import { describeArmError } from "../../src/azure/errors.ts";
import { parseConfig } from "../../src/config/load.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { deploymentCreate } from "../../src/operations/deployment-create.ts";
import type { LongRunningPoller, OperationContext } from "../../src/operations/operation.ts";
import { resourceAction } from "../../src/operations/resource-action.ts";
import { resourceCreateOrUpdate } from "../../src/operations/resource-create-or-update.ts";
import { type Attribution, withAttribution } from "../../src/telemetry/attribution.ts";

const SUB = "00000000-0000-0000-0000-000000000001";
const RG = `/subscriptions/${SUB}/resourceGroups/resume`;

let emulator: Emulator;
let arm: ArmClients;

const template = (name: string) =>
  templateOf([storageAccount(name, { location: "westeurope" })], {
    outputs: { name: { type: "string", value: name } },
  });

function attribution(correlationId = randomUUID()): Attribution {
  const jobId = randomUUID();
  return {
    callerId: "test",
    jobId,
    requestId: jobId,
    routeId: undefined,
    operation: "deployment.create",
    scope: RG,
    correlationId,
    clientRequestId: jobId,
  };
}

/** The status polls (GET, path matching) sent while `run` runs with a Retry-After of one second. */
async function pollsWithRetryAfter(match: (path: string) => boolean, run: () => Promise<unknown>) {
  const before = emulator.requests().length;
  emulator.configure({ lro: { durationMs: 1500, retryAfterSeconds: 1 } });
  try {
    await run();
  } finally {
    emulator.configure({ lro: { durationMs: 150, retryAfterSeconds: 0 } });
  }
  return emulator
    .requests()
    .slice(before)
    .filter((r) => r.method === "GET" && match(r.canonicalPath));
}

/** A job attempt's context; `crash` makes it stop right after the write is durable, as a crash would. */
function context(options: { resumeFrom?: string; crash?: boolean } = {}) {
  const saved: { state?: string } = {};
  const ctx: OperationContext = {
    arm,
    signal: new AbortController().signal,
    resumeFrom: options.resumeFrom,
    // Every change is the caller's to make here; the grants' check has tests of its own.
    authorizeChange: () => undefined,
    async trackLongRunning<T>(poller: LongRunningPoller<T>) {
      await poller.submitted();
      saved.state = await poller.serialize();
      if (options.crash) throw new Error("crashed after the checkpoint");
      return poller.pollUntilDone();
    },
  };
  return { ctx, saved };
}

const puts = (path: string) =>
  emulator.requests({ method: "PUT" }).filter((r) => r.canonicalPath === path.toLowerCase());

beforeAll(async () => {
  emulator = await startEmulator({ subscriptions: [SUB], lro: { durationMs: 150 } });
  const config = parseConfig("{}\n", {}, operationNames);
  arm = createArmClients(
    managedIdentity(emulator),
    { ...config.azure, resourceManagerEndpoint: emulator.armUrl, pollIntervalMs: 20 },
    { extraCaPem: emulator.caCertPem },
  );
  await arm.resources(SUB).resourceGroups.createOrUpdate("resume", { location: "westeurope" });
});

afterAll(async () => {
  await emulator?.stop();
});

describe("deployment.create after a lost response or a crash", () => {
  const input = (name: string) =>
    deploymentCreate.input.parse({
      subscriptionId: SUB,
      resourceGroupName: "resume",
      deploymentName: name,
      template: template(name),
    });
  const path = (name: string) => `${RG}/providers/Microsoft.Resources/deployments/${name}`;

  it("follows the running deployment it started instead of sending the PUT again", async () => {
    const job = attribution();
    const p = input("stresumerun");
    const first = context({ crash: true });
    await expect(withAttribution(job, () => deploymentCreate.execute(p, first.ctx))).rejects.toThrow();
    // The next attempt has no poller state (the crash came before it was stored): it looks first.
    const seen = await withAttribution(
      job,
      () => deploymentCreate.checkApplied?.(p, context().ctx) ?? Promise.reject(),
    );
    expect(seen).toMatchObject({
      applied: true,
      result: { provisioningState: "Succeeded", outputs: { name: "stresumerun" } },
    });
    expect(puts(path("stresumerun")).map((r) => r.status)).toEqual([201]);
  });

  it("takes a finished deployment's result, and resumes after ARM's 409 DeploymentActive", async () => {
    // The first deployment runs long, the next attempt's what-if does not: its PUT finds the
    // deployment still running.
    emulator.configure({ lro: { durationMs: 3000 } });
    onTestFinished(() => emulator.configure({ lro: { durationMs: 150 } }));
    const job = attribution();
    const p = input("stresumedone");
    await expect(
      withAttribution(job, () => deploymentCreate.execute(p, context({ crash: true }).ctx)),
    ).rejects.toThrow();
    emulator.configure({ lro: { durationMs: 150 } });
    // Sent blind while it still runs, the PUT gets 409 DeploymentActive; the operation follows its own deployment.
    const again = await withAttribution(job, () => deploymentCreate.execute(p, context().ctx));
    expect(again).toMatchObject({ provisioningState: "Succeeded", outputs: { name: "stresumedone" } });
    expect(puts(path("stresumedone")).map((r) => r.status)).toEqual([201, 409]);
    const done = await withAttribution(
      job,
      () => deploymentCreate.checkApplied?.(p, context().ctx) ?? Promise.reject(),
    );
    expect(done).toMatchObject({ applied: true, result: { outputs: { name: "stresumedone" } } });
    expect(puts(path("stresumedone"))).toHaveLength(2);
  });

  it("does not adopt a deployment another job started, and waits out its DeploymentActive", async () => {
    // The first deployment runs long, the next attempt's what-if does not: its PUT finds the
    // deployment still running.
    emulator.configure({ lro: { durationMs: 3000 } });
    onTestFinished(() => emulator.configure({ lro: { durationMs: 150 } }));
    const p = input("stresumeother");
    await expect(
      withAttribution(attribution(), () => deploymentCreate.execute(p, context({ crash: true }).ctx)),
    ).rejects.toThrow();
    emulator.configure({ lro: { durationMs: 150 } });
    const other = attribution();
    expect(
      await withAttribution(
        other,
        () => deploymentCreate.checkApplied?.(p, context().ctx) ?? Promise.reject(),
      ),
    ).toEqual({
      applied: false,
    });
    const refused = await withAttribution(other, () => deploymentCreate.execute(p, context().ctx)).catch(
      (e: unknown) => e,
    );
    expect(describeArmError(refused)).toMatchObject({
      code: "DeploymentActive",
      status: 409,
      retryable: true,
    });
  });
});

describe("ARM's preflight as armbridge reports it", () => {
  it("fails with ARM's 400 InvalidTemplateDeployment and the provider's reason in the details", async () => {
    const p = deploymentCreate.input.parse({
      subscriptionId: SUB,
      resourceGroupName: "resume",
      deploymentName: "preflight",
      template: template("a"),
    });
    const error = await withAttribution(attribution(), () =>
      deploymentCreate.execute(p, context().ctx),
    ).catch((e: unknown) => e);
    const failure = describeArmError(error);
    expect(failure).toMatchObject({ code: "InvalidTemplateDeployment", status: 400, retryable: false });
    expect(failure.details).toMatchObject([
      { code: "PreflightValidationCheckFailed", details: [{ code: "AccountNameInvalid", target: "a" }] },
    ]);
  });
});

describe("asynchronous resource writes", () => {
  it("resumes the poller of a storage account create (202 + Location) after a crash, without a second PUT", async () => {
    const id = `${RG}/providers/Microsoft.Storage/storageAccounts/stresumepoll`;
    const p = resourceCreateOrUpdate.input.parse({
      resourceId: id,
      body: { location: "westeurope", kind: "StorageV2", sku: { name: "Standard_LRS" } },
    });
    const first = context({ crash: true });
    await expect(
      withAttribution(attribution(), () => resourceCreateOrUpdate.execute(p, first.ctx)),
    ).rejects.toThrow();
    expect(first.saved.state).toBeDefined();
    expect(emulator.resource(id)).toMatchObject({ properties: { provisioningState: "Creating" } });
    const resumed = await withAttribution(attribution(), () =>
      resourceCreateOrUpdate.execute(p, context({ resumeFrom: first.saved.state }).ctx),
    );
    expect(resumed).toMatchObject({ id, properties: { provisioningState: "Succeeded" } });
    expect(puts(id).map((r) => r.status)).toEqual([202]);
  });

  it("honours Retry-After on every poll of a provider action", async () => {
    const vm = `${RG}/providers/Microsoft.Compute/virtualMachines/vm-retry`;
    await arm
      .resources(SUB)
      .resources.createOrUpdateById(
        vm,
        "2024-07-01",
        { location: "westeurope", properties: {} },
        { updateIntervalInMs: 20 },
      )
      .pollUntilDone();
    const p = resourceAction.input.parse({ resourceId: vm, action: "powerOff" });
    const polls = await pollsWithRetryAfter(
      (path) => path.startsWith(`/subscriptions/${SUB}/operationresults/`),
      () => withAttribution(attribution(), () => resourceAction.execute(p, context().ctx)),
    );
    // With a 20 ms interval the poll would run dozens of times; Retry-After: 1 allows two.
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.length).toBeLessThanOrEqual(2);
  });

  it("honours the Retry-After of the first answer too, which the SDK's poller alone does not", async () => {
    const p = resourceCreateOrUpdate.input.parse({
      resourceId: `${RG}/providers/Microsoft.Storage/storageAccounts/stretryafter`,
      body: { location: "westeurope", kind: "StorageV2", sku: { name: "Standard_LRS" } },
    });
    const polls = await pollsWithRetryAfter(
      (path) => path.includes("/providers/microsoft.storage/locations/"),
      () => withAttribution(attribution(), () => resourceCreateOrUpdate.execute(p, context().ctx)),
    );
    // Polled at ~1 s (still running) and ~2 s (done); an immediate first poll would make it three.
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.length).toBeLessThanOrEqual(2);
  });
});
