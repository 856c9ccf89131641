// Decodes an Event Grid delivery: the Event Grid schema (a JSON array, or the validation handshake)
// or CloudEvents 1.0 in structured, batch or binary mode. Every failure here is permanent (400/413).
import type { CloudEvent, EventGridDeserializer } from "@azure/eventgrid";
import { z } from "zod";
import type { SourceConfig } from "../config/schema.ts";
import type { OnBehalfOf } from "../kernel/caller.ts";
import { AppError } from "../kernel/errors.ts";
import { originalActor } from "./events-actor.ts";

export type DeliverySchema = "eventgrid" | "cloudevents";

/** One event as the router needs it, whichever schema it came in. */
export interface DeliveredEvent {
  /** Event Grid `topic` or CloudEvents `source`: with `id`, what identifies the event. */
  source: string;
  id: string;
  type: string;
  subject: string | undefined;
  time: string | undefined;
  data: unknown;
  /** The CloudEvents distributed tracing extension, when the event carries it. */
  traceparent: string | undefined;
  onBehalfOf: OnBehalfOf | undefined;
}

export type Delivery =
  | { kind: "validation"; validationCode: string }
  | {
      kind: "events";
      schema: DeliverySchema;
      mode: string;
      events: DeliveredEvent[];
      /** Validation events inside a notification: answered only as a handshake, never routed. */
      validationEvents: { id: string; source: string }[];
    };

const VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent";
let sdk: Promise<EventGridDeserializer> | undefined;
/** The SDK (a good part of the start-up time otherwise) is loaded with the first CloudEvents delivery. */
const cloudEventsDeserializer = () =>
  (sdk ??= import("@azure/eventgrid").then((m) => new m.EventGridDeserializer()));

const malformed = (detail: string) => new AppError("bad_request", detail);

function parseJson(body: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (err) {
    throw new AppError("malformed_json", `${what} is not valid UTF-8 JSON: ${(err as Error).message}`);
  }
}

function asList(parsed: unknown, source: SourceConfig): Record<string, unknown>[] {
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (list.length > source.maxEvents) {
    throw new AppError(
      "payload_too_large",
      `the delivery holds ${list.length} events; source '${source.id}' accepts at most ${source.maxEvents}`,
      { extensions: { limitEvents: source.maxEvents } },
    );
  }
  list.forEach((e, i) => {
    if (e === null || typeof e !== "object" || Array.isArray(e))
      throw malformed(`event [${i}] is not an object`);
  });
  return list as Record<string, unknown>[];
}

/** RFC 3339 (both schemas require it); zod also refuses days a month does not have, which Date.parse rolls over. */
const rfc3339 = z.iso.datetime({ offset: true });

/**
 * The SDK turns any string into a Date, an invalid one included, which then throws when read: a time
 * that is not RFC 3339 is refused here, naming the attribute, so it is a 400 and never a 500.
 */
function checkTime(e: Record<string, unknown>, attribute: string, name = attribute): void {
  const value = e[attribute];
  if (typeof value !== "string") return; // absent or mistyped: the SDK's own message names it
  if (!rfc3339.safeParse(value).success || Number.isNaN(Date.parse(value))) {
    throw new Error(`${name} '${value.slice(0, 64)}' is not an RFC 3339 timestamp`);
  }
}

/** The SDK's deserializer validates each event; its messages name the missing or mistyped attribute. */
async function each<In, Out>(list: In[], decode: (e: In) => Promise<Out[]>): Promise<Out[]> {
  const out: Out[] = [];
  for (const [i, e] of list.entries()) {
    try {
      out.push(...(await decode(e)));
    } catch (err) {
      throw malformed(`event [${i}]: ${(err as Error).message}`);
    }
  }
  return out;
}

/**
 * The SDK validates the attributes, but maps `data` as a dictionary, which mangles string and array
 * data (both allowed by either schema): the data is taken as it was sent.
 */
const withSentData = <T extends { data?: unknown }>(sent: Record<string, unknown>, events: T[]): T[] =>
  "data" in sent ? events.map((e) => ({ ...e, data: sent.data })) : events;

/** The Event Grid schema's attributes: every one a string, all required (Event Grid always sends `topic`). */
const EVENT_GRID_ATTRIBUTES = [
  "eventType",
  "eventTime",
  "id",
  "subject",
  "topic",
  "dataVersion",
  "metadataVersion",
];

/**
 * An Event Grid schema event, checked as the SDK's EventGridDeserializer checks it, with its messages,
 * but without its model mapper: the mapper copied every event into a new object (and `data`, which is
 * taken as sent anyway), a fifth of the time of a 5,000-event batch in the profile. CloudEvents still
 * go through the SDK, which also decodes `data_base64` and gathers the extension attributes.
 */
function eventGridEvent(e: Record<string, unknown>, timeOf: (eventTime: string) => string): DeliveredEvent {
  for (const name of EVENT_GRID_ATTRIBUTES) {
    if (e[name] === undefined) throw new Error(`event is missing required property '${name}'`);
    if (typeof e[name] !== "string") {
      throw new TypeError(`event property '${name}' should be a 'string', but is '${typeof e[name]}'`);
    }
  }
  if (e.data === undefined) throw new Error("event is missing required property 'data'");
  if (e.metadataVersion !== "1") throw new TypeError("event is not in the Event Grid schema");
  const type = e.eventType as string;
  return {
    source: e.topic as string,
    id: e.id as string,
    type,
    subject: e.subject as string,
    time: timeOf(e.eventTime as string),
    data: e.data,
    traceparent: undefined,
    onBehalfOf: originalActor(type, e.data, undefined),
  };
}

function eventGridEvents(list: Record<string, unknown>[]): DeliveredEvent[] {
  // The events of a batch often share their time (to the millisecond): each distinct one is checked
  // and normalized once, as long as the times come in runs.
  let last: { sent: string; time: string } | undefined;
  const timeOf = (eventTime: string) => {
    if (last?.sent !== eventTime) {
      checkTime({ eventTime }, "eventTime");
      last = { sent: eventTime, time: new Date(eventTime).toISOString() };
    }
    return last.time;
  };
  return list.map((e, i) => {
    try {
      return eventGridEvent(e, timeOf);
    } catch (err) {
      throw malformed(`event [${i}]: ${(err as Error).message}`);
    }
  });
}

function fromCloudEvent(e: CloudEvent<unknown>): DeliveredEvent {
  const extensions = e.extensionAttributes;
  const traceparent = extensions?.traceparent;
  return {
    source: e.source,
    id: e.id,
    type: e.type,
    subject: e.subject,
    time: e.time?.toISOString(),
    data: e.data,
    traceparent: typeof traceparent === "string" ? traceparent : undefined,
    onBehalfOf: originalActor(e.type, e.data, extensions),
  };
}

/** Binary mode: attributes in `ce-*` headers (percent-encoded where needed), the data is the body. */
function binaryCloudEvent(body: Uint8Array, headers: Headers, mediaType: string): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const [name, value] of headers) {
    if (!name.startsWith("ce-")) continue;
    try {
      event[name.slice(3)] = decodeURIComponent(value);
    } catch {
      event[name.slice(3)] = value;
    }
  }
  if (mediaType) event.datacontenttype = headers.get("content-type");
  if (body.length === 0) return event;
  if (mediaType === "application/json" || mediaType.endsWith("+json"))
    event.data = parseJson(body, "the data");
  else if (mediaType.startsWith("text/")) event.data = new TextDecoder().decode(body);
  else event.data_base64 = Buffer.from(body).toString("base64");
  return event;
}

function accepts(source: SourceConfig, schema: DeliverySchema): void {
  if (source.schema !== "both" && source.schema !== schema) {
    const names = { eventgrid: "the Event Grid schema", cloudevents: "CloudEvents 1.0" };
    throw malformed(`source '${source.id}' accepts only ${names[source.schema]}, not ${names[schema]}`);
  }
}

export async function parseDelivery(
  body: Uint8Array,
  headers: Headers,
  source: SourceConfig,
): Promise<Delivery> {
  const mediaType = (headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const cloudEvents = async (list: Record<string, unknown>[], mode: string): Promise<Delivery> => {
    accepts(source, "cloudevents");
    const deserializer = await cloudEventsDeserializer();
    const events = await each(list, async (e) => {
      checkTime(e, "time", mode === "binary" ? "ce-time" : "time");
      return withSentData(e, await deserializer.deserializeCloudEvents(e));
    });
    return {
      kind: "events",
      schema: "cloudevents",
      mode,
      events: events.map(fromCloudEvent),
      validationEvents: [],
    };
  };

  if (headers.has("ce-specversion"))
    return cloudEvents([binaryCloudEvent(body, headers, mediaType)], "binary");
  if (mediaType === "application/cloudevents+json") {
    const parsed = parseJson(body, "the body");
    if (Array.isArray(parsed)) throw malformed("a structured CloudEvent must be one JSON object");
    return cloudEvents(asList(parsed, source), "structured");
  }
  if (mediaType === "application/cloudevents-batch+json") {
    const parsed = parseJson(body, "the body");
    if (!Array.isArray(parsed)) throw malformed("a CloudEvents batch must be a JSON array");
    return cloudEvents(asList(parsed, source), "batch");
  }
  if (mediaType !== "application/json" && !mediaType.endsWith("+json")) {
    // 400, not 415: Event Grid retries a 415 for a day, and this delivery will never be different.
    throw malformed(`content type '${mediaType || "(none)"}' is neither JSON nor CloudEvents`);
  }
  const list = asList(parseJson(body, "the body"), source);
  if (list.length > 0 && list.every((e) => "specversion" in e)) return cloudEvents(list, "batch");

  accepts(source, "eventgrid");
  if (list.length === 0) throw malformed("the delivery holds no events");
  const events = eventGridEvents(list);
  const isValidation = (e: DeliveredEvent) => e.type === VALIDATION_EVENT;
  if (headers.get("aeg-event-type")?.toLowerCase() === "subscriptionvalidation") {
    const [event] = events;
    if (events.length !== 1 || !event || !isValidation(event)) {
      throw malformed(`a SubscriptionValidation delivery must hold one ${VALIDATION_EVENT}`);
    }
    const code = (event.data as { validationCode?: unknown } | null)?.validationCode;
    if (typeof code !== "string" || code === "")
      throw malformed("the validation event has no validationCode");
    return { kind: "validation", validationCode: code };
  }
  // A validation event is only ever answered as a handshake, never routed.
  return {
    kind: "events",
    schema: "eventgrid",
    mode: "array",
    events: events.filter((e) => !isValidation(e)),
    validationEvents: events.filter(isValidation).map((e) => ({ id: e.id, source: e.source })),
  };
}
