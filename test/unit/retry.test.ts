import { describe, expect, it } from "vitest";
import { retryDelayMs } from "../../src/jobs/retry.ts";

const policy = { baseMs: 100, maxMs: 1000 };

describe("retryDelayMs", () => {
  it("grows exponentially within [ceiling/2, ceiling] and stops at the cap", () => {
    expect(retryDelayMs(1, undefined, policy, () => 0)).toBe(50);
    expect(retryDelayMs(1, undefined, policy, () => 1)).toBe(100);
    expect(retryDelayMs(3, undefined, policy, () => 1)).toBe(400);
    expect(retryDelayMs(20, undefined, policy, () => 1)).toBe(1000);
  });

  it("never retries sooner than Retry-After", () => {
    expect(retryDelayMs(1, 5000, policy, () => 0)).toBe(5000);
  });
});
