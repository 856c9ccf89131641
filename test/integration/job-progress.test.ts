// A running deployment's progress in GET /v1/jobs/{id}, read from ARM (the emulator) as it runs, and
// `armbridge call` following jobs through a served armbridge with the typed client.
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storageAccount, template } from "../../packages/azure-emulator/test/helpers/templates.ts";
import { runCli } from "../../src/cli/commands.ts";
import type { CliIo } from "../../src/cli/io.ts";
import { type Harness, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";

const KEY = "progress-test-key";
const CONFIG = `
callers:
  - { id: svc, kind: api-key, keys: [{ hash: "sha256:${createHash("sha256").update(KEY).digest("hex")}" }] }
grants:
  - caller: svc
    operations: ["*"]
    scopes: ["/subscriptions/${SUBSCRIPTION}"]
`;

const account = (name: string) => storageAccount(name, { location: "westeurope", properties: {} });

interface JobBody {
  id: string;
  state: string;
  progress?: { operations: { resourceType?: string; resourceName?: string; provisioningState: string }[] };
}

describe("job progress and armbridge call", () => {
  let h: Harness;
  let server: ServerType;
  let url: string;
  beforeAll(async () => {
    h = await startHarness({ config: CONFIG, emulator: { lro: { durationMs: 30 } } });
    server = serve({ fetch: h.runtime.app.fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await ensureGroup("progress-rg");
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await h?.close();
  });

  async function ensureGroup(resourceGroupName: string) {
    const group = await h.request("/v1/operations/resourceGroup.ensure", {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", prefer: "wait=20" },
      body: JSON.stringify({ subscriptionId: SUBSCRIPTION, resourceGroupName, location: "westeurope" }),
    });
    expect(((await group.json()) as { jobs: JobBody[] }).jobs[0]?.state).toBe("succeeded");
  }

  function cli() {
    const io = { out: "", err: "" };
    const cliIo: CliIo = {
      out: (t) => {
        io.out += t;
      },
      err: (t) => {
        io.err += t;
      },
      env: { ARMBRIDGE_TOKEN: KEY },
      tty: false,
    };
    return { io, cliIo };
  }

  /** `armbridge call deployment.create … --wait` of one template into progress-rg. */
  async function deployWithCli(name: string, resources: unknown[], group = "progress-rg") {
    const { io, cliIo } = cli();
    const params = [
      `subscriptionId=${SUBSCRIPTION}`,
      `resourceGroupName=${group}`,
      `deploymentName=${name}`,
      `template=${JSON.stringify(template(resources))}`,
    ];
    const argv = [
      "call",
      "deployment.create",
      "--url",
      url,
      ...params.flatMap((p) => ["--param", p]),
      "--wait",
    ];
    return { code: await runCli(argv, cliIo), io };
  }

  it("armbridge call --wait follows a deployment to its end and exits 0", async () => {
    const { code, io } = await deployWithCli("cli-one", [account("clione")]);
    expect(io.err).toBe("");
    expect(code).toBe(0);
    expect(io.out).toMatch(/^accepted: job [0-9a-f-]{36} \(idempotency key /);
    expect(io.out).toMatch(/deployment\.create succeeded\n$/);
  });

  it("armbridge call --wait exits 1 with ARM's error when the deployment fails", async () => {
    // A storage account name is global: what-if and preflight pass, the run fails (as in ARM).
    await ensureGroup("progress-other");
    expect((await deployWithCli("cli-first", [account("clitaken")])).code).toBe(0);
    const { code, io } = await deployWithCli("cli-fails", [account("clitaken")], "progress-other");
    expect(code).toBe(1);
    expect(io.err).toContain("failed: DeploymentFailed:");
    expect(io.err).toContain("StorageAccountAlreadyTaken");
  });

  it("armbridge call exits 1 with armbridge's problem when the caller is refused", async () => {
    const { io, cliIo } = cli();
    cliIo.env = { ARMBRIDGE_TOKEN: "not-a-key" };
    const code = await runCli(
      ["call", "resourceGroup.get", "--url", url, "--param", `subscriptionId=${SUBSCRIPTION}`],
      cliIo,
    );
    expect(code).toBe(1);
    expect(io.err).toMatch(/armbridge call: 401 \w+/);
  });
  it("shows each resource of a running deployment with its provisioning state as ARM lists it", async () => {
    // Long enough that the deployment is still running while the job is read (the last test: the
    // worker stays on this job until the harness closes).
    // Only the deployment itself: the what-if checks before it stay quick.
    h.emulator.configure({ lro: { deploymentDurationMs: 120_000 } });
    const res = await h.request("/v1/operations/deployment.create", {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        subscriptionId: SUBSCRIPTION,
        resourceGroupName: "progress-rg",
        deploymentName: "two-accounts",
        template: template([account("progressa"), account("progressb")]),
      }),
    });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { jobs: JobBody[] }).jobs[0]?.id as string;
    let job: JobBody;
    // Polls the API as a caller would, until the worker has handed the deployment to ARM (bounded:
    // each poll waits at most a second).
    let polls = 0;
    do {
      job = (await (
        await h.request(`/v1/jobs/${id}`, { headers: { authorization: `Bearer ${KEY}`, prefer: "wait=1" } })
      ).json()) as JobBody;
    } while (!job.progress && !["succeeded", "failed", "dead"].includes(job.state) && ++polls < 30);
    expect(job.state).toBe("waiting");
    expect(job.progress?.operations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          resourceType: "Microsoft.Storage/storageAccounts",
          resourceName: "progressa",
          provisioningState: "Running",
        }),
        expect.objectContaining({
          resourceType: "Microsoft.Storage/storageAccounts",
          resourceName: "progressb",
          provisioningState: "Running",
        }),
      ]),
    );
  });
});
