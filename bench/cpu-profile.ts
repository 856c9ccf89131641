// Preloaded into the armbridge under `npm run bench:profile` (`node --import`): starts and stops V8's
// sampling profiler when the bench asks over the IPC channel, so a profile holds only the load.
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
    } else if (typeof message === "string" && message.startsWith("profile-stop:")) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(message.slice("profile-stop:".length), JSON.stringify(profile));
      process.send?.({ profiling: false });
    }
  });
}
