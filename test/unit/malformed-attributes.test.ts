// Malformed event attributes never become a 5xx: every schema and mode refuses them with a 400 that
// names the attribute, and anything accepted carries a readable time. Table cases, then properties.
import { CloudEvent, HTTP } from "cloudevents";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.ts";
import { codeToStatus } from "../../src/http/errors.ts";
import { parseDelivery } from "../../src/ingress/events-parse.ts";
import { isAppError } from "../../src/kernel/errors.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { eventGridDelivery, eventGridEvent } from "../helpers/eventgrid.ts";

const config = parseConfig(
  `
callers: [{ id: eg, kind: eventgrid, secret: { query: code, values: [{ env: S }] } }]
sources: [{ id: both, schema: both, callers: [eg] }]
`,
  { S: "sixteen-characters" },
  operationNames,
);
const source = config.sources[0] as (typeof config.sources)[0];

type Outcome = { status: number; detail: string } | { times: (string | undefined)[] };

/** What the HTTP edge makes of a parse: its status and detail, or the times of the events it read. */
async function outcome(headers: Record<string, string>, body: string): Promise<Outcome> {
  try {
    const delivery = await parseDelivery(new TextEncoder().encode(body), new Headers(headers), source);
    return { times: delivery.kind === "events" ? delivery.events.map((e) => e.time) : [] };
  } catch (err) {
    if (!isAppError(err)) throw err;
    return { status: codeToStatus[err.code], detail: err.detail };
  }
}

const eventGrid = (eventTime: unknown) => {
  const { headers, body } = eventGridDelivery([{ ...eventGridEvent({ id: "e1" }), eventTime }]);
  return outcome(headers as Record<string, string>, body as string);
};
const structured = (time: unknown) =>
  outcome(
    { "content-type": "application/cloudevents+json" },
    JSON.stringify({ specversion: "1.0", id: "c1", source: "/s", type: "t", time }),
  );
const batch = (time: unknown) =>
  outcome(
    { "content-type": "application/cloudevents-batch+json" },
    JSON.stringify([{ specversion: "1.0", id: "c1", source: "/s", type: "t", time }]),
  );
const binary = (time: string) =>
  outcome(
    {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": "b1",
      "ce-source": "/s",
      "ce-type": "t",
      "ce-time": encodeURIComponent(time),
    },
    "{}",
  );

const MODES = [
  ["the Event Grid schema", "eventTime", eventGrid],
  ["a structured CloudEvent", "time", structured],
  ["a CloudEvents batch", "time", batch],
  ["a binary-mode CloudEvent", "ce-time", binary],
] as const;

const MALFORMED_TIMES = [
  "yesterday",
  "",
  "2025-13-01T00:00:00Z",
  "2025-02-30T10:00:00Z",
  "2025-06-01T25:00:00Z",
  "2025-06-01T10:00:00",
  "2025-06-01 10:00:00Z",
  "+275761-01-01T00:00:00Z",
  "NaN",
  "2025-06-01T10:00:00Z\u0000",
];

describe("event times that are not RFC 3339", () => {
  for (const [mode, attribute, deliver] of MODES) {
    it.each(MALFORMED_TIMES)(`refuses %j in ${mode} with a 400 naming ${attribute}`, async (time) => {
      const result = await deliver(time);
      expect(result).toMatchObject({ status: 400 });
      expect((result as { detail: string }).detail).toContain(attribute);
    });
  }

  it("refuses a time that is not a string with a 400", async () => {
    for (const value of [12345, true, { at: 1 }, ["2025-06-01T10:00:00Z"]]) {
      expect(await eventGrid(value)).toMatchObject({ status: 400 });
      expect(await structured(value)).toMatchObject({ status: 400 });
    }
  });

  it("reads a valid time with any offset or precision in every mode", async () => {
    const time = "2025-06-01T12:00:00.1234567+02:00";
    for (const [, , deliver] of MODES) {
      expect(await deliver(time)).toEqual({ times: ["2025-06-01T10:00:00.123Z"] });
    }
  });
});

describe("properties over arbitrary attribute values", () => {
  it("answers any eventTime or time with a 400 or a readable time, never an exception", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.date().map((d) => String(d)),
          fc.constant("1e400"),
        ),
        async (t) => {
          for (const [, attribute, deliver] of MODES) {
            const result = await deliver(t);
            if ("status" in result) {
              expect(result.status).toBe(400);
              if (attribute !== "ce-time") expect(result.detail).toMatch(/time/i);
            } else {
              for (const time of result.times) expect(Number.isNaN(Date.parse(time as string))).toBe(false);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("answers any CloudEvent the SDK can make, with arbitrary extension values, without an exception", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string({ minLength: 1 }), async (value, id) => {
        const event = new CloudEvent({
          type: "t",
          source: "/s",
          id,
          time: new Date(0).toISOString(),
          ext: "x",
        });
        const message = HTTP.binary(event);
        const headers = {
          ...(message.headers as Record<string, string>),
          "ce-ext": encodeURIComponent(value),
        };
        const result = await outcome(headers, (message.body as string | undefined) ?? "");
        expect("times" in result || result.status === 400).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
