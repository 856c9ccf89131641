import { CloudEvent, HTTP } from "cloudevents";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.ts";
import { codeToStatus } from "../../src/http/errors.ts";
import { originalActor } from "../../src/ingress/events-actor.ts";
import { parseDelivery } from "../../src/ingress/events-parse.ts";
import { isAppError } from "../../src/kernel/errors.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { ACTOR_OID, eventGridDelivery, eventGridEvent, resourceWriteData } from "../helpers/eventgrid.ts";

const config = parseConfig(
  `
callers: [{ id: eg, kind: eventgrid, secret: { query: code, values: [{ env: S }] } }]
sources:
  - { id: both, schema: both, callers: [eg] }
  - { id: eg, schema: eventgrid, callers: [eg] }
`,
  { S: "sixteen-characters" },
  operationNames,
);
const [both, eventGridOnly] = config.sources as [(typeof config.sources)[0], (typeof config.sources)[0]];

/** The refusal a failed parse becomes at the HTTP edge: its status and detail. */
const refusal = (parsing: Promise<unknown>) =>
  parsing.then(
    () => undefined,
    (err: unknown) => (isAppError(err) ? { status: codeToStatus[err.code], detail: err.detail } : err),
  );

const parse = (init: RequestInit, source = both) =>
  parseDelivery(new TextEncoder().encode(init.body as string), new Headers(init.headers), source);

describe("parsing deliveries", () => {
  it("reads an Event Grid-schema array with typed times and the actor of resource events", async () => {
    const delivery = await parse(eventGridDelivery([eventGridEvent({ id: "e1" })]));
    expect(delivery).toMatchObject({
      kind: "events",
      schema: "eventgrid",
      events: [
        {
          id: "e1",
          source: "/subscriptions/00000000-0000-0000-0000-000000000001",
          type: "Microsoft.Resources.ResourceWriteSuccess",
          time: "2025-05-06T09:12:43.113Z",
          onBehalfOf: { id: ACTOR_OID, source: "data.claims", appId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46" },
        },
      ],
    });
  });

  it("reads a binary-mode CloudEvent with text data and its extensions", async () => {
    const message = HTTP.binary(
      new CloudEvent({
        type: "com.contoso.note",
        source: "/notes",
        datacontenttype: "text/plain",
        data: "hello",
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      }),
    );
    const delivery = await parse({
      headers: message.headers as Record<string, string>,
      body: message.body as string,
    });
    expect(delivery).toMatchObject({
      schema: "cloudevents",
      mode: "binary",
      events: [
        {
          type: "com.contoso.note",
          data: "hello",
          traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        },
      ],
    });
  });

  it("keeps string and array data as sent", async () => {
    const delivery = await parse(
      eventGridDelivery([
        eventGridEvent({ eventType: "Contoso.A", data: ["a", "b"] }),
        eventGridEvent({ eventType: "Contoso.B", data: "text" }),
      ]),
    );
    expect(delivery.kind === "events" && delivery.events.map((e) => e.data)).toEqual([["a", "b"], "text"]);
  });

  it("refuses a CloudEvent at an Event Grid-only source and a CloudEvent without an id", async () => {
    const structured = HTTP.structured(new CloudEvent({ type: "t", source: "/s" }));
    const init = { headers: structured.headers as Record<string, string>, body: structured.body as string };
    expect(await refusal(parse(init, eventGridOnly))).toMatchObject({ status: 400 });
    const noId = JSON.stringify({ specversion: "1.0", type: "t", source: "/s" });
    expect(
      await refusal(parse({ headers: { "content-type": "application/cloudevents+json" }, body: noId })),
    ).toMatchObject({
      status: 400,
      detail: "event [0]: event is missing required property 'id'",
    });
  });

  it.each([
    ["a missing attribute", { topic: undefined }, "event [1]: event is missing required property 'topic'"],
    [
      "a number for a string",
      { subject: 7 },
      "event [1]: event property 'subject' should be a 'string', but is 'number'",
    ],
    ["no data", { data: undefined }, "event [1]: event is missing required property 'data'"],
    [
      "another metadata version",
      { metadataVersion: "2" },
      "event [1]: event is not in the Event Grid schema",
    ],
    [
      "a time that is not RFC 3339",
      { eventTime: "yesterday" },
      "event [1]: eventTime 'yesterday' is not an RFC 3339 timestamp",
    ],
  ])("refuses an Event Grid schema event with %s, naming it and its place", async (_, change, detail) => {
    const init = eventGridDelivery([eventGridEvent(), { ...eventGridEvent(), ...change }]);
    expect(await refusal(parse(init))).toEqual({ status: 400, detail });
  });

  it("takes an Event Grid schema event's attributes and data as sent", async () => {
    const event: Record<string, unknown> = {
      ...eventGridEvent({ id: "e-1", data: ["a", 1] }),
      eventTime: "2025-05-06T11:12:43+02:00",
    };
    const delivery = await parse(eventGridDelivery([event]));
    expect(delivery).toMatchObject({
      kind: "events",
      schema: "eventgrid",
      events: [
        {
          id: "e-1",
          source: event.topic,
          subject: event.subject,
          type: event.eventType,
          time: "2025-05-06T09:12:43.000Z",
          data: ["a", 1],
        },
      ],
      validationEvents: [],
    });
  });

  it("requires exactly one validation event in a SubscriptionValidation delivery", async () => {
    const init = eventGridDelivery([eventGridEvent(), eventGridEvent()], {
      eventType: "SubscriptionValidation",
    });
    expect(await refusal(parse(init))).toMatchObject({ status: 400 });
  });
});

describe("the original actor", () => {
  it("falls back to the authorization evidence when the claims name nobody", () => {
    const data = { ...resourceWriteData("g"), claims: {} };
    expect(originalActor("Microsoft.Resources.ResourceDeleteSuccess", data, undefined)).toEqual({
      id: ACTOR_OID.replaceAll("-", ""),
      kind: "entra-principal",
      source: "data.authorization",
    });
  });

  it("reads claims delivered as a JSON string, and nothing from other events' data", () => {
    const data = { claims: JSON.stringify({ oid: "o-1", name: "Bob" }) };
    expect(originalActor("Microsoft.Resources.ResourceActionSuccess", data, undefined)).toMatchObject({
      id: "o-1",
      name: "Bob",
    });
    expect(originalActor("Contoso.Thing", data, undefined)).toBeUndefined();
    expect(originalActor("Contoso.Thing", {}, { authtype: "service_account", authid: "sa-7" })).toEqual({
      id: "sa-7",
      kind: "service_account",
      source: "authcontext",
    });
  });

  it("takes the UPN, then the name, then the application id when the claims carry no object id", () => {
    const upnClaim = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
    const claims = { [upnClaim]: "alice@contoso.com", name: "Alice Example", appid: "app-1" };
    const actor = (c: Record<string, string>) =>
      originalActor("Microsoft.Resources.ResourceWriteSuccess", { claims: c }, undefined);
    expect(actor(claims)).toEqual({
      id: "alice@contoso.com",
      name: "Alice Example",
      appId: "app-1",
      kind: "entra-principal",
      source: "data.claims",
      claim: "upn",
    });
    expect(actor({ name: "Alice Example", appid: "app-1" })).toMatchObject({
      id: "Alice Example",
      claim: "name",
    });
    expect(actor({ appid: "app-1" })).toEqual({
      id: "app-1",
      appId: "app-1",
      kind: "entra-application",
      source: "data.claims",
      claim: "appid",
    });
    expect(actor({ oid: "o-1", name: "Bob" })).toMatchObject({ id: "o-1", claim: "oid" });
  });
});
