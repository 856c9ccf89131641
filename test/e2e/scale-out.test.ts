// Two armbridge replicas share one Azurite (the Azure Storage job store) and one emulator: 1,000
// deliveries go to either at random (some to both), one replica is SIGKILLed midway and restarted,
// and the emulator's record shows every job's write done exactly once.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Azurite, startAzurite } from "../helpers/azurite.ts";
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

const N = 1000;
const groupPath = (name: string) => `PUT /subscriptions/${PROCESS_SUBSCRIPTION}/resourcegroups/${name}`;

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function jobIds(url: string, state: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | null = `/v1/jobs?state=${state}&limit=500`;
  while (next) {
    const res = await fetch(`${url}${next}`, { headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
    const page = (await res.json()) as { jobs: { id: string }[]; links: { next: string | null } };
    ids.push(...page.jobs.map((j) => j.id));
    next = page.links.next;
  }
  return ids;
}

const finishedBy = (p: ArmbridgeProcess) => p.lines.filter((l) => l.includes('"msg":"job succeeded"')).length;

describe("scale-out on Azure Storage", () => {
  let root: string;
  let azurite: Azurite;
  let emulator: EmulatorProcess;
  const replicas: (ArmbridgeProcess | undefined)[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "armbridge-scale-"));
    [azurite, emulator] = await Promise.all([startAzurite(), startEmulatorProcess(root)]);
  });
  afterAll(async () => {
    for (const r of replicas) r?.child.kill("SIGKILL");
    await Promise.all([azurite?.stop(), emulator?.stop()]);
    rmSync(root, { recursive: true, force: true });
  });

  it("runs 1,000 deliveries across two replicas, one SIGKILLed and restarted, each write exactly once", async () => {
    await emulator.control("POST", "/_emulator/configure", { latencyMs: 20, throttle: false });
    const env = { ...processEnv, STORAGE_CONNECTION_STRING: azurite.connectionString };
    const start = (name: string) => {
      const dir = join(root, name);
      mkdirSync(dir, { recursive: true });
      const config = writeArmbridgeConfig(dir, emulator, {
        throttle: "{ enabled: false }",
        jobs: "{ concurrency: 8, pollIntervalMs: 50, leaseSeconds: 5, retryBaseMs: 50, retryMaxMs: 500 }",
        store:
          "{ engine: azure-storage, connectionString: { env: STORAGE_CONNECTION_STRING }, prefix: scale, replicas: 2 }",
      });
      return () => startArmbridge(["--config", config], env);
    };
    const starters = [start("a"), start("b")];
    replicas[0] = await starters[0]?.();
    replicas[1] = await starters[1]?.();

    // A delivery goes to a random replica; one that is down (connection refused) is redelivered to
    // the other, as Event Grid or GitHub would. Every fifth is delivered to both.
    const jobOf = new Map<number, Set<string>>();
    const deliver = async (i: number, replica: number): Promise<void> => {
      const init = signedDelivery(PROCESS_HOOK_SECRET, { group: `app-${i}` }, { delivery: `delivery-${i}` });
      for (let attempt = 0; ; attempt++) {
        const target = replicas[(replica + attempt) % 2];
        try {
          if (!target) throw new Error("down");
          const res = await fetch(`${target.url}/hooks/ops`, init);
          expect([200, 202]).toContain(res.status);
          const id = ((await res.json()) as { jobs: { id: string }[] }).jobs[0]?.id as string;
          jobOf.set(i, (jobOf.get(i) ?? new Set()).add(id));
          return;
        } catch (err) {
          if (attempt > 20) throw err;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };

    let next = 0;
    let killed: Promise<void> | undefined;
    const send = async () => {
      for (let i = next++; i < N; i = next++) {
        if (i === 400) {
          const victim = replicas[0] as ArmbridgeProcess;
          replicas[0] = undefined;
          victim.child.kill("SIGKILL");
          killed = victim.exit.then(() => undefined);
        }
        if (i === 650) {
          await killed;
          replicas[0] = await starters[0]?.();
        }
        const first = Math.random() < 0.5 ? 0 : 1;
        await deliver(i, first);
        if (i % 5 === 0) await deliver(i, 1 - first);
      }
    };
    await Promise.all(Array.from({ length: 16 }, send));

    // A repeated delivery, on either replica, answered with the job of the first.
    expect([...jobOf.values()].every((ids) => ids.size === 1)).toBe(true);
    const accepted = new Set([...jobOf.values()].flatMap((ids) => [...ids]));
    expect(accepted.size).toBe(N);

    const url = () => (replicas[1] as ArmbridgeProcess).url;
    await until("every job to finish", 60_000, async () => {
      for (const state of ["accepted", "running", "waiting"]) {
        if ((await jobIds(url(), state)).length > 0) return false;
      }
      return true;
    });
    expect(new Set(await jobIds(url(), "succeeded"))).toEqual(accepted);

    const effects = (await emulator.stats()).effects;
    const writes = Object.entries(effects).filter(([k]) => k.startsWith(groupPath("app-")));
    expect(writes).toHaveLength(N);
    expect(writes.filter(([, count]) => count !== 1)).toEqual([]);
    // Both replicas did part of the work (the restarted one counts from its restart).
    expect(finishedBy(replicas[1] as ArmbridgeProcess)).toBeGreaterThan(0);
    expect(finishedBy(replicas[0] as ArmbridgeProcess)).toBeGreaterThan(0);
    // The jobs the killed replica held came back when their leases lapsed and ran a second attempt,
    // which looked at ARM before writing (the effect counts above show it wrote nothing twice).
    const lines = replicas.flatMap((r) => r?.lines ?? []);
    expect(
      lines.filter((l) => l.includes('"msg":"job succeeded"') && !l.includes('"attempts":1,')).length,
    ).toBeGreaterThan(0);
  }, 120_000);
});
