// Local Azure emulator: IMDS token endpoint (HTTP) and an ARM subset (HTTPS) speaking the real wire protocols.
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { ArmStore } from "./arm/arm-store.ts";
import type { ArmContext } from "./arm/context.ts";
import { DeploymentLedger } from "./arm/deployment-ledger.ts";
import { FaultInjector } from "./arm/faults.ts";
import { OperationTracker } from "./arm/operations.ts";
import { CONTRIBUTOR_NOT_ACTIONS } from "./arm/rbac.ts";
import { createTemplateFetcher } from "./arm/template-link.ts";
import { ARM_THROTTLE, Throttle } from "./arm/throttle.ts";
import { createArmHandler } from "./arm-server.ts";
import { createServerCertificate } from "./certificate.ts";
import { createControlHandler } from "./control.ts";
import { createImdsHandler, type ImdsState } from "./imds-server.ts";
import { startKeyVault } from "./keyvault/index.ts";
import { RequestLog } from "./request-log.ts";
import { createTokenAuthority } from "./tokens.ts";
import type { EmulatedIdentity, Emulator, EmulatorOptions, EmulatorPatch, LroSettings } from "./types.ts";

export type {
  Bucket,
  EmulatedIdentity,
  Emulator,
  EmulatorOptions,
  EmulatorPatch,
  EmulatorStats,
  FaultSettings,
  LroSettings,
  RecordedRequest,
  RoleAssignment,
  ThrottleSettings,
} from "./types.ts";

export const DEFAULT_TENANT_ID = "72f988bf-0000-0000-0000-000000000001";
export const DEFAULT_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000001";
export const ARM_AUDIENCE = "https://management.azure.com/";

export function defaultIdentities(subscriptions: string[]): EmulatedIdentity[] {
  return [
    {
      kind: "system",
      principalId: "5c1f2e3d-0000-4000-8000-000000000001",
      clientId: "5c1f2e3d-0000-4000-8000-0000000000c1",
      resourceId: `/subscriptions/${subscriptions[0] ?? DEFAULT_SUBSCRIPTION_ID}/resourceGroups/armbridge/providers/Microsoft.Compute/virtualMachines/armbridge-vm`,
      roleAssignments: subscriptions.map((s) => ({
        scope: `/subscriptions/${s}`,
        actions: ["*"],
        notActions: CONTRIBUTOR_NOT_ACTIONS,
      })),
    },
  ];
}

async function listen(server: http.Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

function trackSockets(server: http.Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return sockets;
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
  const subscriptions = options.subscriptions ?? [DEFAULT_SUBSCRIPTION_ID];
  const identities = options.identities ?? defaultIdentities(subscriptions);
  const [certificate, tokens] = await Promise.all([
    createServerCertificate(),
    createTokenAuthority(tenantId, options.tokenLifetimeSeconds ?? 3600),
  ]);

  let latencyMs = options.latencyMs ?? 0;
  let lro: LroSettings = { durationMs: 100, ...options.lro };
  const imdsState: ImdsState = { available: true, unavailableStatus: 503, userData: options.userData ?? "" };
  const log = new RequestLog();
  const store = new ArmStore();
  const operations = new OperationTracker();
  const throttle = new Throttle(options.throttle ?? ARM_THROTTLE);
  const faults = new FaultInjector(options.faults);
  let faultSettings = options.faults;
  const deployments = new DeploymentLedger();
  const templates = new Map<string, unknown>();
  const ctx: ArmContext = {
    store,
    operations,
    deployments,
    lro: () => lro,
    subscriptions,
    tenantId,
    fetchTemplate: createTemplateFetcher(certificate.certPem),
  };

  const hangs = new Set<() => void>();
  const hang = (ms: number, req: http.IncomingMessage) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        hangs.delete(done);
        req.socket.off("close", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      hangs.add(done);
      req.socket.once("close", done);
    });

  const configure = (patch: EmulatorPatch) => {
    if (patch.latencyMs !== undefined) latencyMs = patch.latencyMs;
    if (patch.throttle !== undefined) throttle.configure(patch.throttle ?? false);
    if ("faults" in patch) {
      faultSettings = patch.faults ?? undefined;
      faults.configure(faultSettings);
    }
    if (patch.lro !== undefined) lro = { ...lro, ...patch.lro };
    if (patch.imdsAvailable !== undefined) imdsState.available = patch.imdsAvailable;
    if (patch.imdsStatus !== undefined) imdsState.unavailableStatus = patch.imdsStatus;
    if (patch.userData !== undefined) imdsState.userData = patch.userData;
  };
  const reset = () => {
    store.clear();
    keyVault.store.clear();
    operations.clear();
    deployments.clear();
    templates.clear();
    log.clear();
    throttle.reset();
    faults.configure(faultSettings);
  };

  const armServer = https.createServer({ cert: certificate.certPem, key: certificate.keyPem });
  const imdsServer = http.createServer(createImdsHandler({ identities, tokens, log, state: imdsState }));
  armServer.on(
    "request",
    createArmHandler({
      ctx,
      identities,
      tokens,
      throttle,
      faults,
      log,
      latencyMs: () => latencyMs,
      hang,
      control: createControlHandler({
        log,
        store,
        templates,
        configure,
        reset,
        caCertPem: certificate.certPem,
      }),
    }),
  );
  const armSockets = trackSockets(armServer);
  const imdsSockets = trackSockets(imdsServer);
  const armPort = await listen(armServer, host, options.armPort ?? 0);
  const imdsPort = await listen(imdsServer, host, options.imdsPort ?? 0);
  const keyVault = await startKeyVault(host, options.keyVault ?? {}, {
    certificate,
    tokens,
    tenantId,
    identities,
  });

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      operations.clear();
      for (const release of [...hangs]) release();
      const closing = [armServer, imdsServer].map(
        (s) => new Promise<void>((resolve) => s.close(() => resolve())),
      );
      for (const s of [...armSockets, ...imdsSockets]) s.destroy();
      await Promise.all([...closing, keyVault.stop()]);
    })();
    return stopped;
  };

  return {
    armUrl: `https://${urlHost(host)}:${armPort}`,
    imdsUrl: `http://${urlHost(host)}:${imdsPort}`,
    keyVaultUrl: keyVault.url,
    keyVault: keyVault.store,
    caCertPem: certificate.certPem,
    tenantId,
    subscriptions,
    identities,
    audience: ARM_AUDIENCE,
    configure,
    requests: (filter) => log.list(filter),
    stats: () => log.stats(store.effects),
    resource: (id) => store.get(id)?.body,
    serveTemplate: (name, template) => {
      templates.set(name, template);
      return `https://${urlHost(host)}:${armPort}/_emulator/templates/${encodeURIComponent(name)}`;
    },
    reset,
    stop,
  };
}
