// `npm run bench`: armbridge against its yardsticks in one run on this machine, loopback only. wrk
// drives bare Hono and armbridge in alternating rounds, then armbridge and adnanh/webhook (measured
// last: it forks a process per delivery and leaves the machine slow). Every figure of issue 14 is
// printed as a ratio or value with its goal. `-- --scale-out` adds the Azure Storage replicas figure.
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { PROCESS_HOOK_SECRET, startEmulatorProcess } from "../test/helpers/processes.ts";
import { armUnderThrottle, eventGridBatches } from "./phases.ts";
import { adoptGroup, ensureDebianPackage, killAll, killGroup } from "./processes.ts";
import { type Figure, fmt, median, met, table } from "./report.ts";
import { benchScaleOut } from "./scale-out.ts";
import {
  cpuMs,
  type LoopDelay,
  nodeStartMs,
  startAdnanhWebhook,
  startArmbridge,
  startBareHono,
} from "./targets.ts";
import { runWrk, type WrkResult, writeWrkScript } from "./wrk.ts";

const ROUND_SECONDS = 5;
const ROUNDS = 3;
const CONNECTIONS = 32;
const BATCH_EVENTS = 5000;
const EVENT_BATCHES = 5;
const ARM_OPS = 1200;
// ARM's write bucket is 200 burst + 10/s; the bench keeps its shape at a rate that ends in seconds.
const BUCKET = { burst: 40, perSecond: 200 };

const root = mkdtempSync(join(tmpdir(), "armbridge-bench-"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");

/** Samples a process's resident memory every 100 ms until stopped; returns the peak in MB. */
function peakRss(sample: () => number): () => number {
  let peak = sample();
  const timer = setInterval(() => {
    peak = Math.max(peak, sample());
  }, 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, sample());
  };
}

const memory = (figure: string, mb: number, limit: number, note = ""): Figure => ({
  figure,
  armbridge: `${fmt(mb)} MB${note}`,
  yardstick: "—",
  value: mb,
  unit: "MB",
  goal: { op: "≤", limit },
});
const rate = (r: WrkResult) => `${fmt(r.perSecond)}/s`;
const rounds = (rs: WrkResult[]) => rs.map(rate).join(", ");

async function main(): Promise<void> {
  ensureDebianPackage("wrk", "wrk");
  ensureDebianPackage("webhook", "webhook");
  const loadAtStart = load();
  const emulator = await startEmulatorProcess(root, ["--throttle-scale", "0"], { detached: true });
  adoptGroup(emulator.pid);
  const script = writeWrkScript(root, PROCESS_HOOK_SECRET, 100);
  const bare = await startBareHono();
  // CPU per accepted delivery (all the server's threads): what a round cost, whatever else ran.
  const cpuPerAccepted: Record<string, number[]> = {};
  const wrk = async (url: string, label: string, seconds = ROUND_SECONDS, pid?: number) => {
    const before = cpuMs(pid);
    const result = await runWrk(script, `${url}/hooks/ops`, {
      seconds,
      connections: CONNECTIONS,
      label,
      expected: 202,
    });
    const name = label.replace(/-\d+$/, "");
    const accepted = result.statuses["202"];
    if (pid !== undefined && accepted) {
      cpuPerAccepted[name] = [...(cpuPerAccepted[name] ?? []), ((cpuMs(pid) - before) * 1000) / accepted];
    }
    return result;
  };
  const nodeStarts: number[] = [];
  const coldStarts: number[] = [];
  // One compile cache for the run's starts, empty before the first, as the image's volume is before
  // the first start after an update; every later start finds it warm, as the image's starts do.
  const compileCache = join(root, "compile-cache");
  const start = async (name: string, options?: { throttle?: string }) => {
    nodeStarts.push(await nodeStartMs());
    const a = await startArmbridge(join(root, name), emulator, { ...options, compileCache });
    coldStarts.push(a.coldStartMs);
    return a;
  };

  // 0. The start that compiles every module (and loads the type stripper for it), timed and measured apart.
  const compiling = await startArmbridge(join(root, "compile"), emulator, { compileCache });
  await sleep(3000);
  const compilingIdleRss = compiling.rssMb();
  await killGroup(compiling.child);

  // 1. Idle memory, then full Event Grid batches, each from sending to its 200 (every event a stored job).
  const first = await start("idle");
  await sleep(3000);
  const idleRss = first.rssMb();
  const { ms: batchMs, bytes: batchBytes } = await eventGridBatches(first.url, EVENT_BATCHES, BATCH_EVENTS);
  await killGroup(first.child);

  // 2. Accepted webhooks against bare Hono, alternating rounds; memory and event-loop delay meanwhile.
  const hooks = await start("webhooks");
  const stopRss = peakRss(hooks.rssMb);
  // Warm-up rounds as long as the measured ones: V8 keeps optimizing a server's hot path for seconds
  // (the first measured round ran at about two thirds of the later ones after 2 s of warm-up).
  await wrk(bare.url, "warm-bare", ROUND_SECONDS);
  await wrk(hooks.url, "warm-armbridge", ROUND_SECONDS);
  const bareRuns: WrkResult[] = [];
  const hookRuns: WrkResult[] = [];
  const delays: LoopDelay[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    bareRuns.push(await wrk(bare.url, `bare-${r}`, ROUND_SECONDS, bare.child.pid));
    await hooks.resetLoopDelay();
    hookRuns.push(await wrk(hooks.url, `armbridge-${r}`, ROUND_SECONDS, hooks.child.pid));
    delays.push(await hooks.loopDelay());
  }
  let loadRss = stopRss();
  await killGroup(hooks.child);
  await killGroup(bare.child);

  // 3. ARM writes under throttling, armbridge's buckets set to the emulator's.
  const arm = await armUnderThrottle(
    emulator,
    (throttle) => start("arm", { throttle }),
    ARM_OPS,
    BUCKET,
    CONNECTIONS,
  );

  // 4. Last: armbridge against adnanh/webhook, alternating rounds.
  const peer = await startAdnanhWebhook(root, PROCESS_HOOK_SECRET);
  const again = await start("peer");
  const stopRss2 = peakRss(again.rssMb);
  // Warmed like the armbridge of step 2 (its JIT); adnanh/webhook is Go, compiled ahead of time.
  await wrk(again.url, "warm-again", ROUND_SECONDS);
  const againRuns: WrkResult[] = [];
  const peerRuns: WrkResult[] = [];
  for (let r = 0; r < 2; r++) {
    againRuns.push(await wrk(again.url, `again-${r}`, ROUND_SECONDS, again.child.pid));
    peerRuns.push(await wrk(peer.url, `peer-${r}`, ROUND_SECONDS, peer.child.pid));
  }
  loadRss = Math.max(loadRss, stopRss2());
  await killGroup(again.child);
  await killGroup(peer.child);
  await emulator.stop();

  const pairs = hookRuns.map((h, i) => h.perSecond / (bareRuns[i]?.perSecond ?? Number.NaN));
  const theoretical = BUCKET.burst + BUCKET.perSecond * arm.seconds;
  const lost = ARM_OPS - arm.succeeded;
  const figures: Figure[] = [
    {
      figure: "signed webhooks durably accepted (202) vs bare Hono",
      armbridge: rounds(hookRuns),
      yardstick: `bare Hono JSON POST ${rounds(bareRuns)}`,
      value: median(pairs),
      unit: "×",
      goal: { op: "≥", limit: 0.5 },
    },
    {
      figure: "signed webhooks durably accepted (202) vs adnanh/webhook",
      armbridge: rounds(againRuns),
      yardstick: `adnanh/webhook (HMAC rule + exec) ${rounds(peerRuns)}`,
      value: median(againRuns.map((r) => r.perSecond)) / median(peerRuns.map((r) => r.perSecond)),
      unit: "×",
      goal: { op: "≥", limit: 3 },
    },
    {
      figure: "process start to first 202",
      armbridge: `${coldStarts.map((ms) => `${fmt(ms)} ms`).join(", ")} (the start that compiled: ${fmt(compiling.coldStartMs)} ms)`,
      yardstick: `\`node -e 0\` ${nodeStarts.map((ms) => `${fmt(ms)} ms`).join(", ")}`,
      value: median(coldStarts) / median(nodeStarts),
      unit: "×",
      goal: { op: "≤", limit: 5 },
    },
    memory(
      "resident memory, idle",
      idleRss,
      100,
      ` (after the start that compiled: ${fmt(compilingIdleRss)} MB)`,
    ),
    memory("resident memory, peak under sustained load (the wrk rounds)", loadRss, 150),
    {
      figure: `${fmt(BATCH_EVENTS)}-event Event Grid batch (${fmt(batchBytes / 1e6, 2)} MB) to its 200, median`,
      armbridge: batchMs.map((ms) => `${fmt(ms)} ms`).join(", "),
      yardstick: "Event Grid waits 30 s",
      value: median(batchMs),
      unit: "ms",
      goal: { op: "<", limit: 300 },
    },
    {
      figure: "ARM writes completed / the throttle bucket's maximum",
      armbridge: `${arm.succeeded} of ${ARM_OPS} in ${fmt(arm.seconds, 2)} s, ${arm.throttled} answered 429`,
      yardstick: `bucket ${BUCKET.burst} + ${BUCKET.perSecond}/s = ${fmt(theoretical)} writes`,
      value: arm.succeeded / theoretical,
      unit: "",
      goal: { op: "≥", limit: 0.9 },
      also: { text: "nothing lost", ok: lost === 0 && arm.notAccepted === 0 },
    },
    {
      figure: "event-loop delay p99 under load (worst round)",
      armbridge: delays.map((d) => `${fmt(d.p99Ms, 1)} ms`).join(", "),
      yardstick: "monitorEventLoopDelay in armbridge",
      value: Math.max(...delays.map((d) => d.p99Ms)),
      unit: "ms",
      goal: { op: "≤", limit: 20 },
    },
  ];
  console.log(
    `armbridge bench: node ${process.version}, ${availableParallelism()} CPUs, wrk -t1 -c${CONNECTIONS}, ${ROUND_SECONDS} s rounds;` +
      ` load average (1/5/15 min) ${loadAtStart} at start, ${load()} at end`,
  );
  console.log(table(figures));
  console.log(
    `IMDS token requests: ${arm.imdsTokenRequests} for ${arm.armRequests} ARM calls; ` +
      `armbridge p99 latency per round ${hookRuns.map((r) => `${fmt(r.p99Ms, 1)} ms`).join(", ")}; ` +
      `answers other than 202: ${JSON.stringify(hookRuns.map((r) => ({ ...r.statuses, 202: undefined, socket: r.socketErrors })))}`,
  );
  const cpu = (name: string) => `${fmt(median(cpuPerAccepted[name] ?? []))} µs`;
  console.log(
    `CPU per accepted delivery (median of rounds, all threads): armbridge ${cpu("armbridge")}, bare Hono ${cpu("bare")};` +
      ` armbridge ${cpu("again")} vs adnanh/webhook ${cpu("peer")} (its /bin/true processes not counted)`,
  );
  if (process.argv.includes("--scale-out")) {
    const scaleEmulator = await startEmulatorProcess(root, ["--throttle-scale", "0"], { detached: true });
    adoptGroup(scaleEmulator.pid);
    const scale = await benchScaleOut(root, scaleEmulator, 1000);
    console.log(
      `Azure Storage (Azurite), ${scale.jobs} jobs accepted and finished: one replica ${fmt(scale.perSecond[1], 1)}/s,` +
        ` two ${fmt(scale.perSecond[2], 1)}/s -> ${fmt(scale.perSecond[2] / scale.perSecond[1], 2)}×`,
    );
    await scaleEmulator.stop();
  }
  if (!figures.every(met)) process.exitCode = 1;
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    killAll();
    rmSync(root, { recursive: true, force: true });
  });
