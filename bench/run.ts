// `npm run bench`: the emulator, armbridge and a bare Hono server as separate processes; every figure
// is printed next to its yardstick from the same run.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import {
  type EmulatorProcess,
  eventGridBatch,
  OPERATOR_KEY,
  PROCESS_HOOK_SECRET,
  processEnv,
  signedDelivery,
  startEmulatorProcess,
  writeArmbridgeConfig,
} from "../test/helpers/processes.ts";
import { runLoad, sampleRss } from "./load.ts";

const WEBHOOKS = 4000;
const CONCURRENCY = 32;
const ARM_OPS = 1200;
const BUCKET = { burst: 40, perSecond: 200 };
const BATCH_EVENTS = 5000;
const EVENT_BATCHES = 5;

const root = mkdtempSync(join(tmpdir(), "armbridge-bench-"));
const children: ChildProcess[] = [];
const fmt = (n: number, digits = 1) => n.toFixed(digits);

function spawnNode(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return child;
}

/** Spawns armbridge and sends signed webhooks until one is accepted: the cold start, in ms. */
async function coldStart(name: string, emulator: EmulatorProcess, port: number) {
  const dir = join(root, name);
  mkdirSync(dir);
  const throttle = `{ reads: { burst: 250, perSecond: 25 }, writes: ${JSON.stringify(BUCKET)}, deletes: ${JSON.stringify(BUCKET)} }`;
  const config = writeArmbridgeConfig(dir, emulator, {
    throttle,
    jobs: "{ concurrency: 32, pollIntervalMs: 200 }",
  });
  const started = performance.now();
  const child = spawnNode(["src/main.ts", "--config", config], {
    ...processEnv,
    ARMBRIDGE_PORT: String(port),
  });
  child.stdout?.resume();
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    try {
      const res = await fetch(
        `${url}/hooks/ops`,
        signedDelivery(PROCESS_HOOK_SECRET, { group: `${name}-first` }),
      );
      if (res.status === 202) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  return { child, url, ms: performance.now() - started };
}

async function startBare(): Promise<string> {
  const child = spawnNode(["bench/bare-server.ts"]);
  return new Promise((resolve) => {
    child.stdout?.setEncoding("utf8").once("data", (line: string) => resolve(JSON.parse(line).url));
  });
}

async function until(probe: () => Promise<boolean>): Promise<void> {
  while (!(await probe())) await new Promise((r) => setTimeout(r, 20));
}

async function jobCount(url: string, state: string): Promise<number> {
  let count = 0;
  let next: string | null = `/v1/jobs?state=${state}&limit=500`;
  while (next) {
    const res = await fetch(`${url}${next}`, { headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
    const page = (await res.json()) as { jobs: unknown[]; links: { next: string | null } };
    count += page.jobs.length;
    next = page.links.next;
  }
  return count;
}

async function main(): Promise<void> {
  const emulator = await startEmulatorProcess(root, ["--throttle-scale", "0"]);
  const bareUrl = await startBare();
  const payload = (i: number) => ({
    group: `bench-${i % 100}`,
    ref: "refs/heads/main",
    repository: { full_name: "contoso/web" },
  });
  const deliveries = Array.from({ length: WEBHOOKS }, (_, i) =>
    signedDelivery(PROCESS_HOOK_SECRET, payload(i)),
  );

  // 1. Webhooks accepted and durably stored, against a bare Hono JSON handler, alternated to share the machine fairly.
  const first = await coldStart("webhooks", emulator, 18_181);
  const stopRss1 = sampleRss(first.child.pid as number, (p) => readFileSync(p, "utf8"));
  await runLoad(200, CONCURRENCY, (i) => fetch(`${bareUrl}/hooks/ops`, deliveries[i] as RequestInit), 202);
  const bare = await runLoad(
    WEBHOOKS,
    CONCURRENCY,
    (i) => fetch(`${bareUrl}/hooks/ops`, deliveries[i] as RequestInit),
    202,
  );
  const hooks = await runLoad(
    WEBHOOKS,
    CONCURRENCY,
    (i) => fetch(`${first.url}/hooks/ops`, deliveries[i] as RequestInit),
    202,
  );
  const rss1 = stopRss1();

  // Event Grid: a full batch, from sending it to its 200 (every event durably stored as a job).
  const batches: number[] = [];
  let batchBytes = 0;
  for (let b = 0; b < EVENT_BATCHES; b++) {
    const batch = eventGridBatch(
      PROCESS_HOOK_SECRET,
      Array.from({ length: BATCH_EVENTS }, (_, i) => `eg-${b}-${i % 100}`),
    );
    batchBytes = String(batch.body).length;
    const t = performance.now();
    const res = await fetch(`${first.url}/events/azure`, batch);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`Event Grid batch answered ${res.status}`);
    batches.push(performance.now() - t);
  }
  first.child.kill("SIGKILL");

  // 2. ARM throughput under the emulator's throttling, with armbridge's buckets set to the same.
  const throttle = { reads: { burst: 250, perSecond: 25 }, writes: BUCKET, deletes: BUCKET };
  await emulator.control("POST", "/_emulator/reset");
  await emulator.control("POST", "/_emulator/configure", { throttle, latencyMs: 5 });
  const second = await coldStart("arm", emulator, 18_182);
  const stopRss2 = sampleRss(second.child.pid as number, (p) => readFileSync(p, "utf8"));
  const armStarted = performance.now();
  await runLoad(
    ARM_OPS - 1,
    CONCURRENCY,
    (i) => fetch(`${second.url}/hooks/ops`, signedDelivery(PROCESS_HOOK_SECRET, { group: `arm-${i}` })),
    202,
  );
  await until(
    async () =>
      (await jobCount(second.url, "succeeded")) +
        (await jobCount(second.url, "failed")) +
        (await jobCount(second.url, "dead")) >=
      ARM_OPS,
  );
  const armSeconds = (performance.now() - armStarted) / 1000;
  const rss2 = stopRss2();
  const succeeded = await jobCount(second.url, "succeeded");
  const stats = await emulator.stats();
  const theoretical = BUCKET.burst + BUCKET.perSecond * armSeconds;

  console.log(
    `armbridge bench: node ${process.version}, ${availableParallelism()} CPUs, emulator and armbridge as separate processes`,
  );
  console.log(
    `webhooks accepted + durably stored: ${fmt(hooks.perSecond, 0)}/s (p50 ${fmt(hooks.p50Ms)} ms, p99 ${fmt(hooks.p99Ms)} ms, ${hooks.failures} not 202)` +
      ` vs bare Hono JSON handler ${fmt(bare.perSecond, 0)}/s (p50 ${fmt(bare.p50Ms)} ms, p99 ${fmt(bare.p99Ms)} ms)` +
      ` -> ratio ${fmt(hooks.perSecond / bare.perSecond, 2)} (target >= 0.5); ${WEBHOOKS} requests, ${CONCURRENCY} concurrent`,
  );
  const sorted = [...batches].sort((a, b) => a - b);
  console.log(
    `Event Grid ${BATCH_EVENTS.toLocaleString("en")}-event batch (${fmt(batchBytes / 1e6, 2)} MB) to its 200: median ${fmt(sorted[Math.floor(sorted.length / 2)] ?? 0, 0)} ms,` +
      ` max ${fmt(sorted.at(-1) ?? 0, 0)} ms over ${EVENT_BATCHES} batches (target well under 1,000 ms; Event Grid waits 30 s)`,
  );
  console.log(
    `ARM throughput under throttling (writes bucket ${BUCKET.burst} burst, ${BUCKET.perSecond}/s): ${ARM_OPS} ops in ${fmt(armSeconds, 2)} s` +
      ` = ${fmt(ARM_OPS / armSeconds)}/s vs bucket maximum ${fmt(theoretical / armSeconds)}/s -> ratio ${fmt(ARM_OPS / theoretical, 3)} (target >= 0.9);` +
      ` succeeded ${succeeded}/${ARM_OPS}, lost ${ARM_OPS - succeeded}, 429s answered by the emulator ${stats.throttled}`,
  );
  console.log(
    `IMDS token requests per 1,000 ARM calls: ${fmt((stats.imdsTokenRequests / stats.armRequests) * 1000, 2)}` +
      ` (${stats.imdsTokenRequests} token requests for ${stats.armRequests} ARM calls) (target <= 1)`,
  );
  console.log(
    `cold start, process start to first accepted request: ${fmt(first.ms, 0)} ms (empty data dir), ${fmt(second.ms, 0)} ms (second start) (target < 500 ms)`,
  );
  console.log(
    `resident memory under load (peak): ${fmt(Math.max(rss1, rss2), 0)} MB (webhooks ${fmt(rss1, 0)} MB, ARM ${fmt(rss2, 0)} MB) (target < 150 MB)`,
  );
  second.child.kill("SIGKILL");
  await emulator.stop();
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  });
