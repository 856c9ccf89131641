// Scale-out figures for `npm run bench`: jobs per second, accepted and finished, with one and with two
// armbridge replicas sharing Azurite (the Azure Storage job store) and the emulator.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startAzurite } from "../test/helpers/azurite.ts";
import {
  type ArmbridgeProcess,
  type EmulatorProcess,
  OPERATOR_KEY,
  PROCESS_HOOK_SECRET,
  processEnv,
  signedDelivery,
  startArmbridge,
  writeArmbridgeConfig,
} from "../test/helpers/processes.ts";
import { runLoad } from "./load.ts";

export interface ScaleOutResult {
  jobs: number;
  perSecond: Record<1 | 2, number>;
}

async function unfinished(url: string): Promise<number> {
  let count = 0;
  for (const state of ["accepted", "running", "waiting"]) {
    const res = await fetch(`${url}/v1/jobs?state=${state}&limit=1`, {
      headers: { authorization: `Bearer ${OPERATOR_KEY}` },
    });
    count += ((await res.json()) as { jobs: unknown[] }).jobs.length;
  }
  return count;
}

export async function benchScaleOut(
  root: string,
  emulator: EmulatorProcess,
  jobs: number,
): Promise<ScaleOutResult> {
  const azurite = await startAzurite();
  const perSecond = { 1: 0, 2: 0 };
  const started: ArmbridgeProcess[] = [];
  try {
    for (const count of [1, 2] as const) {
      const replicas: ArmbridgeProcess[] = [];
      for (let r = 0; r < count; r++) {
        const dir = join(root, `scale-${count}-${r}`);
        mkdirSync(dir, { recursive: true });
        const config = writeArmbridgeConfig(dir, emulator, {
          throttle: "{ enabled: false }",
          jobs: "{ concurrency: 32, pollIntervalMs: 50 }",
          store: `{ engine: azure-storage, connectionString: { env: STORAGE_CONNECTION_STRING }, prefix: bench${count}, replicas: ${count} }`,
        });
        const p = await startArmbridge(["--config", config], {
          ...processEnv,
          STORAGE_CONNECTION_STRING: azurite.connectionString,
        });
        replicas.push(p);
        started.push(p);
      }
      const t0 = performance.now();
      await runLoad(
        jobs,
        32,
        (i) =>
          fetch(
            `${replicas[i % count]?.url}/hooks/ops`,
            signedDelivery(PROCESS_HOOK_SECRET, { group: `scale-${count}-${i}` }),
          ),
        202,
      );
      const url = replicas[0]?.url as string;
      while ((await unfinished(url)) > 0) await new Promise((r) => setTimeout(r, 50));
      perSecond[count] = jobs / ((performance.now() - t0) / 1000);
      for (const p of replicas) p.child.kill("SIGKILL");
    }
  } finally {
    for (const p of started) p.child.kill("SIGKILL");
    await azurite.stop();
  }
  return { jobs, perSecond };
}
