// Two of the bench's phases that stand alone: full Event Grid batches, and ARM writes under throttling.
import {
  type EmulatorProcess,
  eventGridBatch,
  OPERATOR_KEY,
  PROCESS_HOOK_SECRET,
  signedDelivery,
} from "../test/helpers/processes.ts";
import { runLoad } from "./load.ts";
import { killGroup } from "./processes.ts";
import type { Armbridge } from "./targets.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const operator = { authorization: `Bearer ${OPERATOR_KEY}` };

async function unfinished(url: string): Promise<number> {
  let count = 0;
  for (const state of ["accepted", "running", "waiting"]) {
    const res = await fetch(`${url}/v1/jobs?state=${state}&limit=1`, { headers: operator });
    count += ((await res.json()) as { jobs: unknown[] }).jobs.length;
  }
  return count;
}

async function jobCount(url: string, state: string): Promise<number> {
  let count = 0;
  let next: string | null = `/v1/jobs?state=${state}&limit=500`;
  while (next) {
    const res = await fetch(`${url}${next}`, { headers: operator });
    const page = (await res.json()) as { jobs: unknown[]; links: { next: string | null } };
    count += page.jobs.length;
    next = page.links.next;
  }
  return count;
}

/** Sends `batches` Event Grid deliveries of `events` events one after another; each from sending to its 200. */
export async function eventGridBatches(
  url: string,
  batches: number,
  events: number,
): Promise<{ ms: number[]; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let b = 0; b < batches; b++) {
    const batch = eventGridBatch(
      PROCESS_HOOK_SECRET,
      Array.from({ length: events }, (_, i) => `eg-${b}-${i % 100}`),
    );
    bytes = String(batch.body).length;
    const t = performance.now();
    const res = await fetch(`${url}/events/azure`, batch);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`Event Grid batch answered ${res.status}`);
    ms.push(performance.now() - t);
  }
  return { ms, bytes };
}

export interface ArmRun {
  ops: number;
  seconds: number;
  succeeded: number;
  notAccepted: number;
  throttled: number;
  imdsTokenRequests: number;
  armRequests: number;
}

/**
 * `ops` resource group writes, one per signed delivery, with the emulator throttling writes to `bucket`
 * and armbridge's limiter set to the same; timed from the end of armbridge's first job (the start's
 * 202) until no job is unfinished.
 */
export async function armUnderThrottle(
  emulator: EmulatorProcess,
  start: (throttle: string) => Promise<Armbridge>,
  ops: number,
  bucket: { burst: number; perSecond: number },
  connections: number,
): Promise<ArmRun> {
  await emulator.control("POST", "/_emulator/reset");
  const throttle = { reads: { burst: 250, perSecond: 25 }, writes: bucket, deletes: bucket };
  await emulator.control("POST", "/_emulator/configure", { throttle, latencyMs: 5 });
  // The clock starts once the start's job (its first 202) has finished: the first job loads the
  // Azure SDK (about half a second, once per process), which is start-up, measured by the start
  // figure, not how well armbridge spends ARM's budget. Then `ops` more writes are sent.
  const arm = await start(JSON.stringify(throttle));
  while ((await unfinished(arm.url)) > 0) await sleep(20);
  const before = await jobCount(arm.url, "succeeded");
  const started = performance.now();
  const sent = await runLoad(
    ops,
    connections,
    (i) => fetch(`${arm.url}/hooks/ops`, signedDelivery(PROCESS_HOOK_SECRET, { group: `arm-${i}` })),
    202,
  );
  while ((await unfinished(arm.url)) > 0) await sleep(20);
  const seconds = (performance.now() - started) / 1000;
  const succeeded = (await jobCount(arm.url, "succeeded")) - before;
  const stats = await emulator.stats();
  await killGroup(arm.child);
  await emulator.control("POST", "/_emulator/configure", { throttle: false, latencyMs: 0 });
  return {
    ops,
    seconds,
    succeeded,
    notAccepted: sent.failures,
    throttled: stats.throttled,
    imdsTokenRequests: stats.imdsTokenRequests,
    armRequests: stats.armRequests,
  };
}
