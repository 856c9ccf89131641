import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../../src/callers/rate-limit.ts";

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
