import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createThrottleLimiter, requestKind, shareOfThrottle } from "../../src/azure/throttle.ts";

const SUB = "00000000-0000-0000-0000-000000000001";
const config = {
  enabled: true,
  reads: { burst: 5, perSecond: 5 },
  writes: { burst: 2, perSecond: 2 },
  deletes: { burst: 1, perSecond: 1 },
};

/** Acquires and reports, after the fake clock has run, which acquisitions went through. */
function track(p: Promise<void>) {
  const state = { done: false };
  void p.then(() => {
    state.done = true;
  });
  return state;
}

describe("throttle limiter", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("lets a burst through at once and spaces the rest at the bucket's rate", async () => {
    const limiter = createThrottleLimiter(config);
    const calls = [0, 1, 2, 3].map(() => track(limiter.acquire(SUB, "writes")));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.done)).toEqual([true, true, false, false]);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls.map((c) => c.done)).toEqual([true, true, true, false]);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls.every((c) => c.done)).toBe(true);
  });

  it("keeps subscriptions and request kinds apart", async () => {
    const limiter = createThrottleLimiter(config);
    await limiter.acquire(SUB, "deletes");
    const otherSub = track(limiter.acquire("other", "deletes"));
    const read = track(limiter.acquire(SUB, "reads"));
    const secondDelete = track(limiter.acquire(SUB, "deletes"));
    await vi.advanceTimersByTimeAsync(0);
    expect([otherSub.done, read.done, secondDelete.done]).toEqual([true, true, false]);
  });

  it("shrinks to what ARM reports left", async () => {
    const limiter = createThrottleLimiter(config);
    limiter.observe(SUB, "reads", { status: 200, remaining: 0 });
    const read = track(limiter.acquire(SUB, "reads"));
    await vi.advanceTimersByTimeAsync(100);
    expect(read.done).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(read.done).toBe(true);
  });

  it("pauses a bucket for a 429's Retry-After", async () => {
    const limiter = createThrottleLimiter(config);
    limiter.observe(SUB, "reads", { status: 429, retryAfterMs: 3000 });
    const read = track(limiter.acquire(SUB, "reads"));
    await vi.advanceTimersByTimeAsync(2999);
    expect(read.done).toBe(false);
    await vi.advanceTimersByTimeAsync(250);
    expect(read.done).toBe(true);
  });

  it("gives an aborted request's reservation back", async () => {
    const limiter = createThrottleLimiter(config);
    await limiter.acquire(SUB, "deletes");
    const abort = new AbortController();
    const aborted = limiter.acquire(SUB, "deletes", abort.signal);
    aborted.catch(() => {});
    abort.abort(new Error("stopped"));
    await expect(aborted).rejects.toThrow("stopped");
    // One token per second: the next request waits for one token, not two.
    const next = track(limiter.acquire(SUB, "deletes"));
    await vi.advanceTimersByTimeAsync(999);
    expect(next.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(next.done).toBe(true);
  });

  it("does nothing when disabled", async () => {
    const limiter = createThrottleLimiter({ ...config, enabled: false });
    const calls = [0, 1, 2, 3, 4].map(() => track(limiter.acquire(SUB, "deletes")));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.every((c) => c.done)).toBe(true);
  });

  it("classifies requests as ARM does", () => {
    expect(["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE"].map(requestKind)).toEqual([
      "reads",
      "reads",
      "writes",
      "writes",
      "writes",
      "deletes",
    ]);
  });

  it("gives each of several replicas its share of every bucket, so together they stay within ARM's", async () => {
    const share = shareOfThrottle({ ...config, writes: { burst: 200, perSecond: 10 } }, 3);
    expect(share.writes).toEqual({ burst: 66, perSecond: 10 / 3 });
    expect(share.deletes).toEqual({ burst: 1, perSecond: 1 / 3 });
    expect(shareOfThrottle(config, 1)).toBe(config);
    const limiter = createThrottleLimiter(shareOfThrottle(config, 2));
    const calls = [0, 1].map(() => track(limiter.acquire(SUB, "writes")));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.done)).toEqual([true, false]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls[1]?.done).toBe(true);
  });
});
