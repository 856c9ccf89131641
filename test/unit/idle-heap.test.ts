// The idle heap trim: V8's memory-reducing collection once a thread is idle and holds slack, never a global gc.
import { getHeapStatistics } from "node:v8";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { trimHeapWhenIdle } from "../../src/kernel/idle-heap.ts";

const slack = () => {
  const heap = getHeapStatistics();
  return heap.total_heap_size - heap.used_heap_size;
};

/** Leaves the young generation grown and full of garbage, as loading modules at start does. */
function burst(): void {
  let kept: object[] = [];
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 20_000; i++) kept.push({ round, i, text: `row ${i}` });
    if (kept.length > 200_000) kept = [];
  }
}

describe("trimHeapWhenIdle", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
  });
  afterEach(() => {
    vi.useRealTimers();
    delete (globalThis as { gc?: unknown }).gc;
  });

  it("gives back what a burst left committed once the thread is idle, leaving no global gc behind", () => {
    burst();
    const before = slack();
    expect(before).toBeGreaterThan(4 * 1024 * 1024);
    // Above 1: a thread counts as idle even inside the fake timer's callbacks.
    const trim = trimHeapWhenIdle({ everyMs: 100, idleBelow: 1.01 });
    vi.advanceTimersByTime(200);
    trim.stop();
    expect(slack()).toBeLessThan(before / 2);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });

  it("collects with V8's memory-reducing flavour through an exposed gc, from the second idle look on", () => {
    const gc = vi.fn();
    (globalThis as { gc?: unknown }).gc = gc;
    const trim = trimHeapWhenIdle({ everyMs: 100, idleBelow: 1.01, slackBytes: 0, gapMs: 0 });
    vi.advanceTimersByTime(100);
    expect(gc).not.toHaveBeenCalled();
    vi.advanceTimersByTime(200);
    trim.stop();
    expect(gc).toHaveBeenCalledTimes(2);
    expect(gc).toHaveBeenCalledWith({ type: "major", execution: "sync", flavor: "last-resort" });
  });

  it("collects at most once in its gap, however idle the thread stays", () => {
    const gc = vi.fn();
    (globalThis as { gc?: unknown }).gc = gc;
    const trim = trimHeapWhenIdle({ everyMs: 100, idleBelow: 1.01, slackBytes: 0, gapMs: 60_000 });
    vi.advanceTimersByTime(1000);
    trim.stop();
    expect(gc).toHaveBeenCalledOnce();
  });

  it("leaves a busy thread, and a heap without slack, alone; stops when told", () => {
    const gc = vi.fn();
    (globalThis as { gc?: unknown }).gc = gc;
    const busy = trimHeapWhenIdle({ everyMs: 100, idleBelow: 0, slackBytes: 0, gapMs: 0 });
    const tight = trimHeapWhenIdle({
      everyMs: 100,
      idleBelow: 1.01,
      slackBytes: Number.POSITIVE_INFINITY,
      gapMs: 0,
    });
    vi.advanceTimersByTime(500);
    busy.stop();
    tight.stop();
    const stopped = trimHeapWhenIdle({ everyMs: 100, idleBelow: 1.01, slackBytes: 0, gapMs: 0 });
    stopped.stop();
    vi.advanceTimersByTime(500);
    expect(gc).not.toHaveBeenCalled();
  });
});
