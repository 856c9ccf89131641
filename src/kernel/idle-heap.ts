// Gives back the heap a thread's busiest moment left committed, once the thread is idle. Loading a
// thousand modules at start fills V8's young generation until it grows to its maximum (32 MB under the
// image's --max-semi-space-size=16), and V8 keeps it, and its freed pages, at that size until it is
// told that memory matters: a "last resort" full collection is how Node lets a program say so.
import { performance } from "node:perf_hooks";
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type Collect = (options: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

/**
 * V8's `gc()`, which only --expose-gc puts in a context: the flag is on for the moment it takes to
 * create one context that has it (as Jest's leak detector does), so no other code sees a global `gc`.
 */
function collector(): Collect {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return exposed as Collect;
  setFlagsFromString("--expose-gc");
  try {
    return runInNewContext("gc") as Collect;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}

export interface IdleHeapOptions {
  /** How often the thread looks at its event loop and heap. */
  everyMs?: number;
  /** The share of that time the event loop may have been busy for the thread to count as idle. */
  idleBelow?: number;
  /** Committed but unused heap worth a collection (the collection takes tens of ms). */
  slackBytes?: number;
  /** The least time between two collections: under a trickle of work they stay a rare, small cost. */
  gapMs?: number;
}

/** Collects the heap with V8's memory-reducing flavour once the thread has been idle for two looks in a row and holds slack worth it. */
export function trimHeapWhenIdle(options: IdleHeapOptions = {}): { stop(): void } {
  const { everyMs = 500, idleBelow = 0.02, slackBytes = 4 * 1024 * 1024, gapMs = 30_000 } = options;
  // Made when first needed: by then the thread is idle and start-up is over.
  let collect: Collect | undefined;
  let collected = Number.NEGATIVE_INFINITY;
  let idleLooks = 0;
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    // Not a number when no time has passed: not idle then either. Two idle looks in a row: a thread
    // that has just gone quiet (between two rounds of work) is left alone a little longer.
    idleLooks = busy < idleBelow ? idleLooks + 1 : 0;
    if (idleLooks < 2 || performance.now() - collected < gapMs) return;
    const heap = getHeapStatistics();
    if (heap.total_heap_size - heap.used_heap_size < slackBytes) return;
    collect ??= collector();
    collect({ type: "major", execution: "sync", flavor: "last-resort" });
    collected = performance.now();
    // The collection's own time does not make the next look count the thread as busy.
    last = performance.eventLoopUtilization();
  }, everyMs);
  // Never what keeps a thread alive.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
