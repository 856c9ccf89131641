// Preloaded into the armbridge under test (`node --import`): measures event-loop delay with
// monitorEventLoopDelay and answers the bench over the IPC channel, so src/ carries no bench code.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { isMainThread } from "node:worker_threads";

// Preloads run in worker threads too (the SQLite writer's): only the main thread's loop is measured.
if (isMainThread) measure();

function measure(): void {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  // The channel must not keep armbridge alive on its own, nor change how it shuts down.
  process.channel?.unref();
  process.on("message", (message) => {
    if (message === "reset") {
      histogram.reset();
      process.send?.({ reset: true });
    } else if (message === "report") {
      const ms = (ns: number) => ns / 1e6;
      process.send?.({
        p50Ms: ms(histogram.percentile(50)),
        p99Ms: ms(histogram.percentile(99)),
        maxMs: ms(histogram.max),
      });
    }
  });
}
