// Preloaded into the armbridge under `npm run bench:profile` (`node --import`): starts and stops V8's
// sampling profiler (or its sampling heap profiler) when the bench asks over the IPC channel, so a profile holds only the load.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { isMainThread } from "node:worker_threads";

if (isMainThread) listen();

function listen(): void {
  const session = new Session();
  session.connect();
  process.channel?.unref();
  process.on("message", async (message) => {
    if (message === "profile-start") {
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
      process.send?.({ profiling: true });
    } else if (message === "heap-start") {
      // Every allocation sampled, also what the next scavenge collects: garbage is what costs here.
      await session.post("HeapProfiler.enable");
      await session.post("HeapProfiler.startSampling", {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      process.send?.({ profiling: true });
    } else if (typeof message === "string" && message.startsWith("profile-stop:")) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(message.slice("profile-stop:".length), JSON.stringify(profile));
      process.send?.({ profiling: false });
    } else if (typeof message === "string" && message.startsWith("heap-stop:")) {
      const { profile } = await session.post("HeapProfiler.stopSampling");
      writeFileSync(message.slice("heap-stop:".length), JSON.stringify(profile));
      process.send?.({ profiling: false });
    }
  });
}
