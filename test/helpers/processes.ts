// Spawns the emulator and armbridge as separate processes, as they run in production and in the
// benchmark, so that killing armbridge leaves the emulator (and its record of ARM calls) alive.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, createHmac, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { createRequire } from "node:module";
import { join } from "node:path";

export interface ArmbridgeProcess {
  child: ChildProcess;
  url: string;
  lines: string[];
  exit: Promise<number | null>;
}

/** Starts `node src/main.ts` (or another entry, such as `npm start`'s) and resolves once it logs `armbridge listening`. */
export function startArmbridge(
  args: string[],
  env: Record<string, string>,
  entry = "src/main.ts",
): Promise<ArmbridgeProcess> {
  const child = spawn(process.execPath, [entry, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'listening' line:\n${lines.join("\n")}`)), 20_000);
    let partial = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      const text = partial + chunk;
      const parts = text.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts.filter(Boolean)) {
        lines.push(line);
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "armbridge listening" && entry.url) {
          clearTimeout(timer);
          resolve({ child, url: entry.url, lines, exit });
        }
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => lines.push(chunk));
    exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${lines.join("\n")}`));
    });
  });
}

export interface EmulatorStatsView {
  imdsTokenRequests: number;
  armRequests: number;
  effects: Record<string, number>;
  throttled: number;
  faulted: number;
}

export interface RecordedRequestView {
  at: string;
  method: string;
  path: string;
  canonicalPath: string;
  clientRequestId?: string;
  status: number;
}

export interface EmulatorProcess {
  pid: number;
  armUrl: string;
  imdsUrl: string;
  caFile: string;
  control<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T>;
  stats(): Promise<EmulatorStatsView>;
  requests(filter?: { method?: string; pathPrefix?: string }): Promise<RecordedRequestView[]>;
  stop(): Promise<void>;
}

/** The emulator's command-line entry, found by package name like any other dependency. */
const EMULATOR_CLI = createRequire(import.meta.url).resolve("@armbridge/azure-emulator/cli");

/**
 * Starts the emulator's CLI and talks to its inspection API over HTTPS, trusting its CA.
 * `detached` makes it the leader of its own process group (the bench kills groups).
 */
export function startEmulatorProcess(
  dir: string,
  args: string[] = [],
  { detached = false }: { detached?: boolean } = {},
): Promise<EmulatorProcess> {
  const caFile = join(dir, "emulator-ca.pem");
  const child = spawn(process.execPath, [EMULATOR_CLI, "--ca-out", caFile, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    detached,
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator did not start:\n${output}`)), 20_000);
    child.on("exit", (code) => reject(new Error(`emulator exited with ${code}:\n${output}`)));
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      output += c;
    });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const line = output.split("\n").find((l) => l.startsWith("{"));
      if (!line || !output.includes("\n")) return;
      clearTimeout(timer);
      const info = JSON.parse(line) as { armUrl: string; imdsUrl: string };
      const ca = readFileSync(caFile, "utf8");
      const control = <T>(method: "GET" | "POST", path: string, body?: unknown) =>
        new Promise<T>((done, fail) => {
          const req = httpsRequest(new URL(path, info.armUrl), { method, ca }, (res) => {
            let text = "";
            res.setEncoding("utf8").on("data", (c: string) => {
              text += c;
            });
            res.on("end", () => done((text ? JSON.parse(text) : undefined) as T));
          });
          req.on("error", fail);
          if (body !== undefined) req.setHeader("content-type", "application/json");
          req.end(body === undefined ? undefined : JSON.stringify(body));
        });
      resolve({
        pid: child.pid as number,
        armUrl: info.armUrl,
        imdsUrl: info.imdsUrl,
        caFile,
        control,
        stats: () => control<EmulatorStatsView>("GET", "/_emulator/stats"),
        requests: (filter = {}) =>
          control<RecordedRequestView[]>(
            "GET",
            `/_emulator/requests?${new URLSearchParams(filter as Record<string, string>)}`,
          ),
        stop: async () => {
          child.removeAllListeners("exit");
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGTERM");
          await exited;
        },
      });
    });
  });
}

/** A GitHub-style signed `push` delivery, made with node:crypto so the benchmark needs no test library. */
export function signedDelivery(
  secret: string,
  payload: unknown,
  options: { event?: string; delivery?: string } = {},
): RequestInit {
  const body = JSON.stringify(payload);
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": options.event ?? "push",
      "x-github-delivery": options.delivery ?? randomUUID(),
      "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
    },
    body,
  };
}

/** The header that carries the delivery secret (the hook secret) to `POST /events/azure`. */
export const EVENTS_SECRET_HEADER = "x-events-secret";

/** An Event Grid-schema batch of `Contoso.Env.Requested` events, as Event Grid delivers it. */
export function eventGridBatch(secret: string, groups: string[]): RequestInit {
  const events = groups.map((group) => ({
    id: randomUUID(),
    topic: `/subscriptions/${PROCESS_SUBSCRIPTION}`,
    subject: `envs/${group}`,
    eventType: "Contoso.Env.Requested",
    eventTime: new Date().toISOString(),
    data: { group },
    dataVersion: "1",
    metadataVersion: "1",
  }));
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "aeg-event-type": "Notification",
      "aeg-subscription-name": "BENCH",
      "aeg-delivery-count": "0",
      [EVENTS_SECRET_HEADER]: secret,
    },
    body: JSON.stringify(events),
  };
}

export const PROCESS_SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";
export const PROCESS_HOOK_SECRET = "process-hook-secret";
export const OPERATOR_KEY = "process-operator-key";

export interface ProcessConfigOptions {
  /** YAML flow mapping for `azure.throttle`. */
  throttle?: string;
  /** YAML flow mapping for `jobs`. */
  jobs?: string;
  /** YAML flow mapping for `store` (SQLite under `dir` when absent). */
  store?: string;
}

/**
 * Writes a config that points armbridge at a separately running emulator: hook `ops` with a `push`
 * that ensures `{{ event.data.group }}` and a `delete` event that deletes it; event source `azure`
 * whose `Contoso.Env.Requested` events ensure their `data.group`.
 */
/** The start of a config for a spawned armbridge: loopback, any port, a data dir, the emulator's ARM. */
export function processConfigHead(dir: string, emulator: EmulatorProcess): string {
  return `
server: { host: 127.0.0.1, port: 0, shutdownTimeoutSeconds: 5 }
dataDir: ${JSON.stringify(join(dir, "data"))}
azure:
  resourceManagerEndpoint: ${emulator.armUrl}
  imdsEndpoint: ${emulator.imdsUrl}
  caCertFile: ${JSON.stringify(emulator.caFile)}
  pollIntervalMs: 50`;
}

/**
 * Hook `deploy` for the `ci` caller, granted resourceGroup.ensure on `app-*` groups, whose `push`
 * ensures `{{ event.data.group }}`: the config tail the telemetry tests share (callers come before it).
 */
export function deployHookConfig(): string {
  return `hooks: [{ id: deploy, callers: [ci] }]
grants: [{ caller: ci, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${PROCESS_SUBSCRIPTION}/resourceGroups/app-*"] }]
routes:
  - id: push-deploys
    trigger: { hook: deploy, events: [push] }
    actions:
      - operation: resourceGroup.ensure
        parameters: { subscriptionId: "${PROCESS_SUBSCRIPTION}", resourceGroupName: "{{ event.data.group }}", location: westeurope }
`;
}

export function writeArmbridgeConfig(
  dir: string,
  emulator: EmulatorProcess,
  options: ProcessConfigOptions = {},
): string {
  const path = join(dir, "armbridge.yaml");
  const operatorHash = createHash("sha256").update(OPERATOR_KEY).digest("hex");
  writeFileSync(
    path,
    `${processConfigHead(dir, emulator)}
  throttle: ${options.throttle ?? "{}"}
jobs: ${options.jobs ?? "{}"}
store: ${options.store ?? "{ engine: sqlite }"}
operators: [{ id: ops, apiKeyHash: "${operatorHash}" }]
callers:
  - { id: ci, kind: github-webhook, secrets: [{ env: HOOK_SECRET }] }
  - { id: eventgrid, kind: eventgrid, secret: { header: ${EVENTS_SECRET_HEADER}, values: [{ env: HOOK_SECRET }] } }
hooks: [{ id: ops, callers: [ci] }]
sources: [{ id: azure, schema: both, callers: [eventgrid] }]
grants:
  - { caller: ci, operations: ["*"], scopes: ["/subscriptions/${PROCESS_SUBSCRIPTION}/resourceGroups/*"] }
  - { caller: eventgrid, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${PROCESS_SUBSCRIPTION}/resourceGroups/*"] }
routes:
  - id: event-ensure
    trigger: { source: azure, events: [Contoso.Env.Requested] }
    actions:
      - operation: resourceGroup.ensure
        parameters: { subscriptionId: "${PROCESS_SUBSCRIPTION}", resourceGroupName: "{{ event.data.group }}", location: westeurope }
  - id: ensure
    trigger: { hook: ops, events: [push] }
    actions:
      - operation: resourceGroup.ensure
        parameters: { subscriptionId: "${PROCESS_SUBSCRIPTION}", resourceGroupName: "{{ event.data.group }}", location: westeurope }
  - id: delete
    trigger: { hook: ops, events: [delete] }
    actions:
      - operation: resourceGroup.delete
        parameters: { subscriptionId: "${PROCESS_SUBSCRIPTION}", resourceGroupName: "{{ event.data.group }}" }
`,
  );
  return path;
}

export const processEnv = { HOOK_SECRET: PROCESS_HOOK_SECRET };
