import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { createRateLimiter, shareOfRateLimits } from "../../src/callers/rate-limit.ts";
import { parseConfig } from "../../src/config/load.ts";
import { openSqliteJobStore } from "../../src/jobs/sqlite/store.ts";
import { createJobWaiter } from "../../src/jobs/waiter.ts";
import { operationNames } from "../../src/operations/catalog.ts";
import { createLogger } from "../../src/telemetry/logger.ts";

describe("createRateLimiter", () => {
  it("allows the burst, then refuses with the seconds until the next token, and refills over time", () => {
    let t = 0;
    const limit = createRateLimiter(new Map([["ci", { perSecond: 0.5, burst: 2 }]]), () => t);
    expect(limit("ci")).toEqual({ ok: true });
    expect(limit("ci")).toEqual({ ok: true });
    expect(limit("ci")).toEqual({ ok: false, retryAfterSeconds: 2 });
    t = 1000;
    expect(limit("ci")).toEqual({ ok: false, retryAfterSeconds: 1 });
    t = 2000;
    expect(limit("ci")).toEqual({ ok: true });
    t = 1_000_000;
    // Refill stops at the burst.
    expect([limit("ci"), limit("ci"), limit("ci")].map((d) => d.ok)).toEqual([true, true, false]);
  });

  it("keeps one bucket per caller and leaves callers without a limit alone", () => {
    const limit = createRateLimiter(new Map([["a", { perSecond: 1, burst: 1 }]]), () => 0);
    expect(limit("a").ok).toBe(true);
    expect(limit("a").ok).toBe(false);
    for (let i = 0; i < 100; i++) expect(limit("b").ok).toBe(true);
  });
});

describe("rate limits across replicas", () => {
  it("gives each of N replicas 1/N of the rate and the burst, never less than one request", () => {
    const shares = shareOfRateLimits(
      new Map([
        ["a", { perSecond: 10, burst: 8 }],
        ["b", { perSecond: 1, burst: 2 }],
      ]),
      4,
    );
    expect(shares.get("a")).toEqual({ perSecond: 2.5, burst: 2 });
    expect(shares.get("b")).toEqual({ perSecond: 0.25, burst: 1 });
  });

  it("holds a caller to its share in each replica of a scaled-out deployment", async () => {
    const key = "replica-key-0123456789";
    const config = parseConfig(
      `
store: { engine: azure-storage, connectionString: { env: STORE }, replicas: 4 }
callers:
  - id: svc
    kind: api-key
    keys: [{ hash: "sha256:${createHash("sha256").update(key).digest("hex")}" }]
    rateLimit: { perSecond: 0.001, burst: 8 }
`,
      { STORE: "UseDevelopmentStorage=true" },
      operationNames,
    );
    const store = openSqliteJobStore(":memory:");
    try {
      const app = createApp({
        config,
        store,
        waiter: createJobWaiter(store),
        logger: createLogger("silent"),
      });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(
          (await app.request("/v1/whoami", { headers: { authorization: `Bearer ${key}` } })).status,
        );
      }
      // A burst of 8 over 4 replicas: 2 here.
      expect(statuses).toEqual([200, 200, 429, 429]);
    } finally {
      await store.close();
    }
  });
});
