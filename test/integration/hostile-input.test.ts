// Malformed input anywhere on the HTTP surface (query values, cursors, dates, numbers, path segments,
// header values) gets a 4xx problem, never a 5xx: table cases, then arbitrary values.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config/load.ts";
import { openSqliteJobStore } from "../../src/jobs/sqlite/store.ts";
import type { JobStore } from "../../src/jobs/store.ts";
import { createJobWaiter } from "../../src/jobs/waiter.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { createLogger } from "../../src/telemetry/logger.ts";

const SUB = "00000000-0000-0000-0000-000000000001";
const KEY = "hostile-input-key-0001";
const OPERATOR = "hostile-operator-key-1";
const STD_SECRET = `whsec_${Buffer.from("hostile-input-standard-webhooks").toString("base64")}`;
const sha = (k: string) => createHash("sha256").update(k).digest("hex");
const CONFIG = `
callers:
  - { id: svc, kind: api-key, keys: [{ hash: "sha256:${sha(KEY)}" }] }
  - { id: partner, kind: standard-webhook, secrets: [{ env: STD_SECRET }] }
hooks: [{ id: partner, callers: [partner] }]
sources: [{ id: apps, schema: both, callers: [svc] }]
grants: [{ caller: svc, operations: ["*"], scopes: ["/subscriptions/${SUB}"] }]
operators: [{ id: ops, apiKeyHash: "${sha(OPERATOR)}" }]
`;

let dir: string;
let store: JobStore;
let app: Hono;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "armbridge-hostile-"));
  store = openSqliteJobStore(join(dir, "armbridge.db"));
  const config = parseConfig(CONFIG, { STD_SECRET }, operationNames);
  app = createApp({ config, store, waiter: createJobWaiter(store), logger: createLogger("silent") });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const operator = { authorization: `Bearer ${OPERATOR}` };
const service = { authorization: `Bearer ${KEY}` };
const cursorOf = (value: string) => Buffer.from(value).toString("base64url");

/** Any answer but a server error; an error answer is problem+json with a code. */
async function expectClientAnswer(res: Response, what: string): Promise<void> {
  expect(res.status, what).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get("content-type"), what).toContain("application/problem+json");
    expect(((await res.json()) as { code?: string }).code, what).toEqual(expect.any(String));
  }
}

const QUERIES = [
  "cursor=!!!",
  `cursor=${cursorOf('[1e400,"x"]')}`,
  `cursor=${cursorOf("[-1e400,1e400]")}`,
  `cursor=${cursorOf("[null,null]")}`,
  `cursor=${cursorOf("{}")}`,
  "since=2025-02-30T00:00:00Z",
  "since=yesterday",
  "until=+275760-09-13T00:00:00.001Z",
  "since=0000-01-01T00:00:00Z",
  "limit=1e400",
  "limit=-1",
  "limit=NaN",
  "limit=0x10",
  "state=%E0%A4%A",
  "callerId=%00",
];

describe("malformed queries, paths and headers", () => {
  it.each(QUERIES)("answers GET /v1/jobs?%s and /v1/audit?%s without a 5xx", async (query) => {
    await expectClientAnswer(
      await app.request(`/v1/jobs?${query}`, { headers: operator }),
      `/v1/jobs?${query}`,
    );
    await expectClientAnswer(
      await app.request(`/v1/audit?${query}`, { headers: operator }),
      `/v1/audit?${query}`,
    );
  });

  it("answers malformed job ids and Prefer values without a 5xx", async () => {
    for (const id of ["%ZZ", "x".repeat(5000), "..%2F..%2Fetc", "%00"]) {
      await expectClientAnswer(await app.request(`/v1/jobs/${id}`, { headers: service }), `job ${id}`);
      await expectClientAnswer(
        await app.request(`/v1/jobs/${id}/retry`, { method: "POST", headers: operator }),
        `retry ${id}`,
      );
    }
    for (const prefer of [
      "wait=99999999999999999999999",
      "wait=-1",
      "wait=1e9",
      "wait",
      "respond-async, wait=0",
    ]) {
      const res = await app.request(`/v1/jobs/00000000-0000-4000-8000-000000000000`, {
        headers: { ...service, prefer },
      });
      await expectClientAnswer(res, `prefer ${prefer}`);
    }
  });

  it("answers malformed Standard Webhooks headers without a 5xx", async () => {
    for (const [id, timestamp, signature] of [
      ["m1", "99999999999999999999", "v1,AAAA"],
      ["m2", "-1", "v1,AAAA"],
      ["m3", "1e10", "v1,AAAA"],
      ["m4", String(Math.floor(Date.now() / 1000)), "v1,%%%"],
      ["m5", String(Math.floor(Date.now() / 1000)), "v2 v1, ,,"],
    ] as const) {
      const res = await app.request("/hooks/partner", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": timestamp,
          "webhook-signature": signature,
        },
        body: "{}",
      });
      await expectClientAnswer(res, `standard webhook ${timestamp} ${signature}`);
    }
  });

  it("answers arbitrary operation bodies and Idempotency-Keys without a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          subscriptionId: fc.oneof(fc.constant(SUB), fc.string()),
          resourceGroupName: fc.oneof(fc.string(), fc.integer(), fc.constant("a".repeat(200))),
          location: fc.oneof(fc.string(), fc.constant(null)),
          tags: fc.option(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer()))),
        }),
        fc.string({ maxLength: 300 }).filter((k) => /^[\x20-\x7e]*$/.test(k)),
        async (body, key) => {
          const res = await app.request("/v1/operations/resourceGroup.ensure", {
            method: "POST",
            headers: {
              ...service,
              "content-type": "application/json",
              ...(key ? { "idempotency-key": key } : {}),
            },
            body: JSON.stringify(body),
          });
          await expectClientAnswer(res, JSON.stringify({ body, key }));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("answers arbitrary query values on the listings without a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("cursor", "since", "until", "limit", "state", "caller", "scope", "kind", "jobId"),
        fc.oneof(fc.string(), fc.string().map(cursorOf), fc.double().map(String)),
        async (name, value) => {
          const query = new URLSearchParams({ [name]: value });
          await expectClientAnswer(
            await app.request(`/v1/jobs?${query}`, { headers: operator }),
            `jobs ${query}`,
          );
          await expectClientAnswer(
            await app.request(`/v1/audit?${query}`, { headers: operator }),
            `audit ${query}`,
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
