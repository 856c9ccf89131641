// The typed client example (examples/client: openapi-typescript types, openapi-fetch calls) against a
// running armbridge over HTTP on 127.0.0.1: the direct API, job status and a problem answer.
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArmbridgeError,
  createArmbridgeClient,
  ensureResourceGroup,
  getJob,
} from "../../examples/client/src/client.ts";
import { type Harness, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";

const KEY = "client-example-key";

const CONFIG = `
callers:
  - { id: service, kind: api-key, keys: [{ hash: "sha256:${createHash("sha256").update(KEY).digest("hex")}" }] }
grants:
  - { caller: service, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUBSCRIPTION}/resourceGroups/app-*"] }
`;

describe("the typed client example", () => {
  let h: Harness;
  let server: ServerType;
  let baseUrl: string;

  beforeAll(async () => {
    h = await startHarness({ config: CONFIG });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: h.runtime.app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
        baseUrl = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await h?.close();
  });

  it("ensures a resource group through the direct API and follows its job", async () => {
    const client = createArmbridgeClient(baseUrl, KEY);
    const input = {
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "app-client",
      location: "westeurope",
      tags: { owner: "client-example" },
    };
    const accepted = await ensureResourceGroup(client, input, { idempotencyKey: "client-1" });
    expect(accepted).toMatchObject({ operation: "resourceGroup.ensure", caller: { id: "service" } });

    const done = await getJob(client, accepted.id, 10);
    expect(done.state).toBe("succeeded");
    expect(done.result).toMatchObject({ name: "app-client", location: "westeurope" });
    expect(h.emulator.resource(`/subscriptions/${SUBSCRIPTION}/resourceGroups/app-client`)).toBeDefined();

    // The same idempotency key answers with the same job.
    const again = await ensureResourceGroup(client, input, { idempotencyKey: "client-1", waitSeconds: 5 });
    expect(again.id).toBe(accepted.id);
  });

  it("turns a refusal into an ArmbridgeError carrying the problem's code", async () => {
    const client = createArmbridgeClient(baseUrl, KEY);
    const outside = { subscriptionId: SUBSCRIPTION, resourceGroupName: "prod-db", location: "westeurope" };
    const refusal = await ensureResourceGroup(client, outside, { idempotencyKey: "client-2" }).catch(
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(ArmbridgeError);
    expect((refusal as ArmbridgeError).problem).toMatchObject({ status: 403, code: "forbidden" });

    const stranger = createArmbridgeClient(baseUrl, "not-a-key");
    const unknown = await getJob(stranger, "00000000-0000-4000-8000-000000000000").catch(
      (err: unknown) => err,
    );
    expect((unknown as ArmbridgeError).problem.code).toBe("job_not_found");
  });
});
