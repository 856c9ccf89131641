// Crash safety with armbridge as its own process against a standalone emulator: SIGKILL while 1,000
// jobs run, and while a long-running delete is polled. The emulator outlives every armbridge and
// counts what ARM actually did.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ArmbridgeProcess,
  type EmulatorProcess,
  OPERATOR_KEY,
  PROCESS_HOOK_SECRET,
  PROCESS_SUBSCRIPTION,
  processEnv,
  signedDelivery,
  startArmbridge,
  startEmulatorProcess,
  writeArmbridgeConfig,
} from "../helpers/processes.ts";

const operator = { authorization: `Bearer ${OPERATOR_KEY}` };
const groupPath = (name: string) => `PUT /subscriptions/${PROCESS_SUBSCRIPTION}/resourcegroups/${name}`;

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function killHard(p: ArmbridgeProcess): Promise<void> {
  // An exited child has an exit code or signal; killing it again would wait for an exit already past.
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await p.exit;
}

async function countJobs(url: string, state: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | null = `/v1/jobs?state=${state}&limit=500`;
  while (next) {
    const res = await fetch(`${url}${next}`, { headers: operator });
    const page = (await res.json()) as { jobs: { id: string }[]; links: { next: string | null } };
    ids.push(...page.jobs.map((j) => j.id));
    next = page.links.next;
  }
  return ids;
}

describe("crash safety", () => {
  let root: string;
  let emulator: EmulatorProcess;
  // Every armbridge started, not only the last: a restart's predecessor must not outlive the suite.
  const started: ArmbridgeProcess[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "armbridge-durable-"));
    emulator = await startEmulatorProcess(root);
  });
  afterAll(async () => {
    await Promise.all(started.map(killHard));
    await emulator?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const startIn = (name: string, options: Parameters<typeof writeArmbridgeConfig>[2]) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    const config = writeArmbridgeConfig(dir, emulator, options);
    return async () => {
      const armbridge = await startArmbridge(["--config", config], processEnv);
      started.push(armbridge);
      return armbridge;
    };
  };

  // 1,000 jobs and three restarts take about 15 s alone and several times that on a loaded machine.
  it("finishes 1,000 accepted jobs across repeated SIGKILLs and executes no write twice", async () => {
    await emulator.control("POST", "/_emulator/reset");
    await emulator.control("POST", "/_emulator/configure", { latencyMs: 40, throttle: false });
    const start = startIn("thousand", {
      throttle: "{ enabled: false }",
      jobs: "{ concurrency: 4, pollIntervalMs: 50, retryBaseMs: 50, retryMaxMs: 500 }",
    });
    const N = 1000;
    let armbridge = await start();
    const accepted: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < N; i = next++) {
          const res = await fetch(
            `${armbridge.url}/hooks/ops`,
            signedDelivery(PROCESS_HOOK_SECRET, { group: `app-${i}` }),
          );
          expect(res.status).toBe(202);
          accepted.push(((await res.json()) as { jobs: { id: string }[] }).jobs[0]?.id as string);
        }
      }),
    );
    expect(new Set(accepted).size).toBe(N);

    const written = async () =>
      Object.keys((await emulator.stats()).effects).filter((k) => k.startsWith(groupPath("app-"))).length;
    for (const progress of [300, 550, 800]) {
      await until(`${progress} writes`, 30_000, async () =>
        (await written()) >= progress ? true : undefined,
      );
      await killHard(armbridge);
      armbridge = await start();
    }

    await until("every job to finish", 40_000, async () => {
      for (const state of ["accepted", "running", "waiting"]) {
        if ((await countJobs(armbridge.url, state)).length > 0) return undefined;
      }
      return true;
    });
    const succeeded = await countJobs(armbridge.url, "succeeded");
    expect(new Set(succeeded)).toEqual(new Set(accepted));

    const effects = (await emulator.stats()).effects;
    const writes = Object.entries(effects).filter(([k]) => k.startsWith(groupPath("app-")));
    expect(writes).toHaveLength(N);
    expect(writes.filter(([, count]) => count !== 1)).toEqual([]);
  }, 180_000);

  it("resumes polling a resource group delete after SIGKILL instead of sending the delete again", async () => {
    await emulator.control("POST", "/_emulator/reset");
    await emulator.control("POST", "/_emulator/configure", { latencyMs: 0, lro: { durationMs: 3000 } });
    const start = startIn("lro", {});
    let armbridge = await start();
    const deliver = async (event: string, wait: number) => {
      const init = signedDelivery(PROCESS_HOOK_SECRET, { group: "lro-victim" }, { event });
      const res = await fetch(`${armbridge.url}/hooks/ops`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), prefer: `wait=${wait}` },
      });
      return (await res.json()) as { jobs: { id: string; state: string }[] };
    };
    expect((await deliver("push", 10)).jobs[0]?.state).toBe("succeeded");
    const id = (await deliver("delete", 0)).jobs[0]?.id as string;
    await until("the delete to be polled", 10_000, async () => {
      const job = (await (await fetch(`${armbridge.url}/v1/jobs/${id}`, { headers: operator })).json()) as {
        state: string;
      };
      return job.state === "waiting" ? true : undefined;
    });
    const killedAt = new Date().toISOString();
    await killHard(armbridge);

    armbridge = await start();
    const res = await fetch(`${armbridge.url}/v1/jobs/${id}`, {
      headers: { ...operator, prefer: "wait=20" },
    });
    expect(await res.json()).toMatchObject({ state: "succeeded", result: { deleted: true } });

    const path = `/subscriptions/${PROCESS_SUBSCRIPTION}/resourcegroups/lro-victim`;
    const requests = await emulator.requests({ pathPrefix: "/subscriptions" });
    const deletes = requests.filter((r) => r.method === "DELETE" && r.canonicalPath === path);
    expect(deletes).toHaveLength(1);
    const pollsAfterRestart = requests.filter(
      (r) => r.method === "GET" && r.clientRequestId === id && r.at > killedAt,
    );
    expect(pollsAfterRestart.length).toBeGreaterThan(0);
    expect((await emulator.stats()).effects[`DELETE ${path}`]).toBe(1);
  });
});
