// An operator replays Event Grid dead letters with deploy/replay-dead-letters.sh: the blob's events,
// stripped of Event Grid's dead-letter fields, reach armbridge over HTTP as the operator's caller,
// run their route, and a second replay of the same blob is de-duplicated.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { armClients, managedIdentity } from "../../packages/azure-emulator/test/helpers/emulator-clients.ts";
import { eventGridEvent, resourceWriteData } from "../helpers/eventgrid.ts";
import { type Harness, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";
import { entraClaims, eventGridClaims, startTestIssuer, TENANT, type TestIssuer } from "../helpers/oidc.ts";

const run = promisify(execFile);
const OPERATOR_OID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

const config = (jwksUrl: string) => `
callers:
  - id: eventgrid
    kind: eventgrid
    entra: { tenantId: ${TENANT}, audience: api://armbridge-events, role: AzureEventGridSecureWebhookSubscriber, jwksUrl: "${jwksUrl}" }
  - id: replay
    kind: oidc
    preset: entra
    tenantId: ${TENANT}
    audience: api://armbridge
    jwksUrl: "${jwksUrl}"
    conditions: { oid: ${OPERATOR_OID} }
sources:
  - { id: resource-writes, schema: cloudevents, callers: [eventgrid, replay] }
grants:
  - { caller: eventgrid, operations: [tags.merge], scopes: ["/subscriptions/${SUBSCRIPTION}"] }
  - { caller: replay, operations: [tags.merge], scopes: ["/subscriptions/${SUBSCRIPTION}"] }
routes:
  - id: tag-written-resources
    trigger: { source: resource-writes, events: [Microsoft.Resources.ResourceWriteSuccess] }
    actions:
      - operation: tags.merge
        parameters:
          scope: "{{ event.data.resourceUri }}"
          tags: { writtenBy: '{{ caller.onBehalfOf.name ?? "unknown" }}' }
`;

describe("replaying dead-lettered events", () => {
  let issuer: TestIssuer;
  let h: Harness;
  let server: ServerType;
  let url: string;
  let work: string;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    h = await startHarness({ config: config(issuer.jwksUrl) });
    server = serve({ fetch: h.runtime.app.fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events/resource-writes`;
    work = mkdtempSync(join(tmpdir(), "armbridge-dead-letters-"));
    const { resources } = armClients(h.emulator, managedIdentity(h.emulator));
    await resources.resourceGroups.createOrUpdate("dead-lettered", { location: "westeurope" });
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await h?.close();
    await issuer?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A dead-letter blob as Event Grid writes it for a CloudEvents subscription refused with 401. */
  function deadLetterBlob(): string {
    const e = eventGridEvent({ data: resourceWriteData("dead-lettered") });
    const file = join(work, `${e.id}.json`);
    const event = {
      specversion: "1.0",
      id: e.id,
      source: e.topic,
      subject: e.subject,
      type: e.eventType,
      time: e.eventTime,
      data: e.data,
      deadletterreason: "DeliveryFailed",
      deliveryattempts: 1,
      lastdeliveryoutcome: "Unauthorized",
      lasthttpstatuscode: 401,
      publishtime: "2025-05-06T09:12:43.1138574Z",
      lastdeliveryattempttime: "2025-05-06T09:12:44.0000000Z",
    };
    writeFileSync(file, JSON.stringify([event]));
    return file;
  }

  const replay = async (file: string, token: string) =>
    run("sh", ["deploy/replay-dead-letters.sh", "--url", url, "--token", token, file]);

  it("runs the events' routes as the operator's caller, and a second replay changes nothing", async () => {
    const token = await issuer.sign(entraClaims({ oid: OPERATOR_OID, sub: OPERATOR_OID }));
    const file = deadLetterBlob();
    expect((await replay(file, token)).stdout).toMatch(/: 1 events, HTTP 200$/m);
    const { jobs } = await h.runtime.store.list({ limit: 10 });
    const job = jobs.find((j) => j.scope.endsWith("/dead-lettered"));
    expect(job?.caller.id).toBe("replay");
    expect((await h.waitForJob(job?.id as string)).state).toBe("succeeded");
    expect(
      (
        h.emulator.resource(`/subscriptions/${SUBSCRIPTION}/resourceGroups/dead-lettered`) as {
          tags: unknown;
        }
      ).tags,
    ).toEqual({
      writtenBy: "Alice Example",
    });

    expect((await replay(file, token)).stdout).toMatch(/HTTP 200$/m);
    expect(
      (await h.runtime.store.list({ limit: 10 })).jobs.filter((j) => j.scope.endsWith("/dead-lettered")),
    ).toHaveLength(1);
  });

  it("stops at a refused file, with a non-zero exit", async () => {
    // Event Grid's own token is for its audience, not the operator's: the replay caller refuses it.
    const token = await issuer.sign(eventGridClaims({ aud: "api://armbridge" }));
    await expect(replay(deadLetterBlob(), token)).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/HTTP 401/),
    });
  });
});
