// The servers the bench measures: armbridge (signed push -> resourceGroup.ensure, emulator apart),
// the bare Hono yardstick, and adnanh/webhook with a payload-hmac-sha256 rule that runs /bin/true.
import type { ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execForm, parseDockerfile, parseEnv, type Stage } from "../test/helpers/dockerfile.ts";
import {
  type EmulatorProcess,
  PROCESS_HOOK_SECRET,
  processEnv,
  signedDelivery,
  writeArmbridgeConfig,
} from "../test/helpers/processes.ts";
import { firstLine, freePort, spawnGroup } from "./processes.ts";

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface Armbridge {
  child: ChildProcess;
  url: string;
  /** Process start to the first 202 of a signed delivery, in ms. */
  coldStartMs: number;
  rssMb(): number;
  resetLoopDelay(): Promise<void>;
  loopDelay(): Promise<LoopDelay>;
}

const preload = new URL("./loop-delay.ts", import.meta.url).href;

function runtimeStage(): Stage | undefined {
  return parseDockerfile(readFileSync("Dockerfile", "utf8")).stages.at(-1);
}

/** The Node flags the image's ENTRYPOINT gives armbridge (between node and the script), read from the Dockerfile so the bench measures what production runs. */
export function imageNodeFlags(): string[] {
  const entry = runtimeStage()?.instructions.find((i) => i.keyword === "ENTRYPOINT");
  const argv = entry ? execForm(entry.args) : [];
  const script = argv.indexOf("src/main.ts");
  if (script < 0) throw new Error("the Dockerfile's ENTRYPOINT does not run src/main.ts");
  return argv.slice(1, script);
}

/** The environment the image gives armbridge (its runtime stage's ENV lines: MALLOC_ARENA_MAX among them). */
export function imageEnv(): Record<string, string> {
  const lines = runtimeStage()?.instructions.filter((i) => i.keyword === "ENV") ?? [];
  return Object.assign({}, ...lines.map((i) => parseEnv(i.args)));
}

/**
 * As in the image, Node's compile cache is on from the process's start (its NODE_COMPILE_CACHE), kept
 * between starts like the image's data volume: the TypeScript entry and the bench's preload come
 * from it too, and a warm start never loads the type stripper. `npm run bench` gives each run a cache
 * of its own (its first start compiles, as the image's first start after an update does).
 */
const sharedCompileCache = join(tmpdir(), "armbridge-bench-compile-cache");

export function rssMb(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return Number(kb ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** CPU time (user + system, all threads) a process has used so far, in ms: a yardstick that load on the machine bends less than throughput. */
export function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU time (ms) by thread kind (Node's thread names: MainThread, WorkerThread, V8Worker for GC helpers, libuv-worker). */
export function threadCpuMs(pid: number | undefined): Map<string, number> {
  const byKind = new Map<string, number>();
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      byKind.set(name, (byKind.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
    }
  } catch {
    // The process has ended.
  }
  return byKind;
}

function ask<T>(child: ChildProcess, message: string): Promise<T> {
  return new Promise((resolve) => {
    child.once("message", (answer) => resolve(answer as T));
    child.send(message);
  });
}

/** Starts armbridge and sends signed deliveries to its port until one is answered 202. */
export async function startArmbridge(
  dir: string,
  emulator: EmulatorProcess,
  options: { throttle?: string; jobs?: string; compileCache?: string } = {},
): Promise<Armbridge> {
  const { compileCache = sharedCompileCache, ...configOptions } = options;
  mkdirSync(dir, { recursive: true });
  const config = writeArmbridgeConfig(dir, emulator, {
    jobs: "{ concurrency: 32, pollIntervalMs: 200 }",
    ...configOptions,
  });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawnGroup(
    process.execPath,
    [...imageNodeFlags(), "--import", preload, "src/main.ts", "--config", config],
    {
      // The image's environment, but loopback, a port and a data directory of the bench's own.
      env: {
        ...process.env,
        ...imageEnv(),
        ...processEnv,
        ARMBRIDGE_HOST: "127.0.0.1",
        ARMBRIDGE_PORT: String(port),
        ARMBRIDGE_DATA_DIR: join(dir, "data"),
        NODE_COMPILE_CACHE: compileCache,
      },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    },
  );
  for (;;) {
    if (child.exitCode !== null) throw new Error(`armbridge exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/hooks/ops`, signedDelivery(PROCESS_HOOK_SECRET, { group: "first" }));
      await res.arrayBuffer();
      if (res.status === 202) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const coldStartMs = performance.now() - started;
  return {
    child,
    url,
    coldStartMs,
    rssMb: () => rssMb(child.pid),
    resetLoopDelay: () => ask(child, "reset"),
    loopDelay: () => ask<LoopDelay>(child, "report"),
  };
}

/** `node -e 0`: the floor of any Node process's start, in ms. */
export async function nodeStartMs(): Promise<number> {
  const started = performance.now();
  const child = spawnGroup(process.execPath, ["-e", "0"], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return performance.now() - started;
}

export async function startBareHono(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnGroup(process.execPath, ["bench/bare-server.ts"]);
  const url = await firstLine(child, (line) =>
    line.startsWith("{") ? (JSON.parse(line).url as string) : undefined,
  );
  return { child, url };
}

/** adnanh/webhook (Debian's `webhook`): the same signature check, then /bin/true per accepted delivery. */
export async function startAdnanhWebhook(
  dir: string,
  secret: string,
): Promise<{ child: ChildProcess; url: string }> {
  const hooks = join(dir, "hooks.json");
  writeFileSync(
    hooks,
    JSON.stringify([
      {
        id: "ops",
        "execute-command": "/bin/true",
        "success-http-response-code": 202,
        "trigger-rule": {
          match: {
            type: "payload-hmac-sha256",
            secret,
            parameter: { source: "header", name: "X-Hub-Signature-256" },
          },
        },
      },
    ]),
  );
  const port = await freePort();
  const child = spawnGroup("webhook", ["-hooks", hooks, "-ip", "127.0.0.1", "-port", String(port)]);
  child.stdout?.resume();
  child.stderr?.resume();
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`webhook exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/hooks/none`, { method: "POST" }).then(
      (r) => r.arrayBuffer().then(() => true),
      () => false,
    );
    if (ok) return { child, url };
    await new Promise((r) => setTimeout(r, 20));
  }
}
