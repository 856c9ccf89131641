// `npm run bench:profile -- [webhooks|eventgrid] [seconds] [--heap]`: armbridge under the bench's load
// with V8's CPU profiler on its main thread for the loaded part only (or, with --heap, its sampling
// heap profiler, garbage included); writes the profile (open it in Chrome DevTools or VS Code) and
// prints the functions with the most self time, or the most bytes allocated.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { PROCESS_HOOK_SECRET, startEmulatorProcess } from "../test/helpers/processes.ts";
import { eventGridBatches } from "./phases.ts";
import { adoptGroup, ensureDebianPackage, killAll, killGroup } from "./processes.ts";
import { cpuMs, startArmbridge, threadCpuMs } from "./targets.ts";
import { runWrk, writeWrkScript } from "./wrk.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const heap = process.argv.includes("--heap");
const [load = "webhooks", seconds = "10"] = process.argv.slice(2).filter((a) => a !== "--heap");
if (load !== "webhooks" && load !== "eventgrid") throw new Error(`unknown load '${load}'`);
const root = mkdtempSync(join(tmpdir(), "armbridge-profile-"));
const out = join(root, `${load}.${heap ? "heapprofile" : "cpuprofile"}`);

const ask = (child: ChildProcess, message: string) =>
  new Promise((resolve) => {
    child.once("message", resolve);
    child.send(message);
  });

/** Self time by function, as a share of the samples in which the thread was not idle. */
function summary(profile: CpuProfile, top = 30): string {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    // Idle, and the profiler's own work while it stops (attributed to the inspector session's post).
    if (!frame || frame.functionName === "(idle)" || frame.url === "node:inspector") return;
    const at = frame.url.replace(/^file:\/\/.*?\/(src|node_modules)\//, "$1/");
    const key = `${frame.functionName || "(anonymous)"} ${at}${at ? `:${frame.lineNumber + 1}` : ""}`;
    const ms = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + ms);
    busy += ms;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, ms]) => `${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${key}`)
    .join("\n");
}

interface HeapNode {
  callFrame: ProfileNode["callFrame"];
  selfSize: number;
  children: HeapNode[];
}
interface HeapProfile {
  head: HeapNode;
}

/** Bytes allocated by function (garbage included), as a share of all sampled bytes. */
function allocations(profile: HeapProfile, top = 30): string {
  const self = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode) => {
    const frame = node.callFrame;
    const at = frame.url.replace(/^file:\/\/.*?\/(src|node_modules)\//, "$1/");
    const key = `${frame.functionName || "(anonymous)"} ${at}${at ? `:${frame.lineNumber + 1}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, bytes]) => `${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${key}`)
    .join("\n");
}

async function main(): Promise<void> {
  ensureDebianPackage("wrk", "wrk");
  const emulator = await startEmulatorProcess(root, ["--throttle-scale", "0"], { detached: true });
  adoptGroup(emulator.pid);
  const preload = new URL("./cpu-profile.ts", import.meta.url).href;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --import ${preload}`.trim();
  const armbridge = await startArmbridge(join(root, "armbridge"), emulator);
  const { child, url } = armbridge;
  const script = writeWrkScript(root, PROCESS_HOOK_SECRET, 100);
  const wrk = (s: number) =>
    runWrk(script, `${url}/hooks/ops`, { seconds: s, connections: 32, label: "profile", expected: 202 });
  if (load === "webhooks") await wrk(2);
  else await eventGridBatches(url, 2, 5000);

  const cpuBefore = cpuMs(child.pid);
  const threadsBefore = threadCpuMs(child.pid);
  await ask(child, heap ? "heap-start" : "profile-start");
  if (load === "webhooks") {
    const result = await wrk(Number(seconds));
    const accepted = result.statuses["202"] ?? 0;
    console.log(
      `${Math.round(result.perSecond)} accepted/s, ${Math.round(((cpuMs(child.pid) - cpuBefore) * 1000) / Math.max(accepted, 1))} µs CPU per accepted delivery (all threads, profiler included)`,
    );
    const perThread = [...threadCpuMs(child.pid)].map(
      ([name, ms]) =>
        `${name} ${Math.round(((ms - (threadsBefore.get(name) ?? 0)) * 1000) / Math.max(accepted, 1))} µs`,
    );
    console.log(`by thread: ${perThread.join(", ")}`);
  } else {
    const { ms } = await eventGridBatches(url, 5, 5000);
    console.log(`5,000-event batches: ${ms.map((m) => `${Math.round(m)} ms`).join(", ")}`);
    const perThread = [...threadCpuMs(child.pid)].map(
      ([name, ms]) => `${name} ${Math.round((ms - (threadsBefore.get(name) ?? 0)) / 5)} ms`,
    );
    console.log(
      `CPU per batch by thread (the worker's jobs of earlier batches included): ${perThread.join(", ")}`,
    );
  }
  await ask(child, `${heap ? "heap" : "profile"}-stop:${out}`);
  await killGroup(child, "SIGTERM");
  const profile = JSON.parse(readFileSync(out, "utf8"));
  console.log(`${out}\n${heap ? allocations(profile as HeapProfile) : summary(profile as CpuProfile)}`);
  // Worker threads' own profiles (the SQLite writer), written beside the main thread's.
  for (const name of readdirSync(root).filter((f) => f.startsWith(`${basename(out)}.thread-`))) {
    const thread = JSON.parse(readFileSync(join(root, name), "utf8")) as CpuProfile;
    console.log(`\n${join(root, name)}\n${summary(thread, 20)}`);
  }
}

await main().finally(killAll);
