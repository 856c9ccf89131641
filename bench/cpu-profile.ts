// Preloaded into the armbridge under `npm run bench:profile` (`node --import`): starts and stops V8's
// sampling profiler (or its sampling heap profiler) when the bench asks over the IPC channel, so a profile holds only the load.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { isMainThread } from "node:worker_threads";

if (isMainThread) listen();

/**
 * The worker threads (the SQLite writer), reached through the main thread's inspector session (a
 * preload does not run in a worker): each one's CPU profiler started and stopped with the main thread's.
 */
function workerProfilers(session: Session) {
  const workers = new Set<string>();
  const waiting = new Map<number, (result: unknown) => void>();
  let id = 0;
  session.on("NodeWorker.attachedToWorker", (m) => workers.add(m.params.sessionId));
  session.on("NodeWorker.detachedFromWorker", (m) => workers.delete(m.params.sessionId));
  session.on("NodeWorker.receivedMessageFromWorker", (m) => {
    const reply = JSON.parse(m.params.message) as { id?: number; result?: unknown };
    if (reply.id !== undefined) waiting.get(reply.id)?.(reply.result);
  });
  const post = (sessionId: string, method: string) =>
    new Promise((resolve) => {
      id += 1;
      waiting.set(id, resolve);
      void session.post("NodeWorker.sendMessageToWorker", {
        sessionId,
        message: JSON.stringify({ id, method }),
      });
    });
  return {
    enable: () => session.post("NodeWorker.enable", { waitForDebuggerOnStart: false }),
    async start() {
      for (const w of workers) {
        await post(w, "Profiler.enable");
        await post(w, "Profiler.start");
      }
    },
    /** Each worker's profile, written to `<path>.thread-<n>`. */
    async stop(path: string) {
      let n = 0;
      for (const w of workers) {
        const result = (await post(w, "Profiler.stop")) as { profile: unknown };
        writeFileSync(`${path}.thread-${++n}`, JSON.stringify(result.profile));
      }
    },
  };
}

function listen(): void {
  const session = new Session();
  session.connect();
  const threads = workerProfilers(session);
  void threads.enable();
  process.channel?.unref();
  process.on("message", async (message) => {
    if (message === "profile-start") {
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
      await threads.start();
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
      await threads.stop(message.slice("profile-stop:".length));
      process.send?.({ profiling: false });
    } else if (typeof message === "string" && message.startsWith("heap-stop:")) {
      const { profile } = await session.post("HeapProfiler.stopSampling");
      writeFileSync(message.slice("heap-stop:".length), JSON.stringify(profile));
      process.send?.({ profiling: false });
    }
  });
}
