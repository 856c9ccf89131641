// Public types of the local Azure emulator; index.ts re-exports them.
import type { KeyVaultOptions, SecretStore } from "./keyvault/index.ts";

export interface Bucket {
  burst: number;
  perSecond: number;
}

export interface ThrottleSettings {
  reads: Bucket;
  writes: Bucket;
  deletes: Bucket;
}

export interface FaultSettings {
  /** Probability (0..1) that a request is answered with one of `statuses`. */
  rate: number;
  /** Default [500, 503]; 429 is sent with Retry-After. */
  statuses?: number[];
  /** Probability (0..1) that a request hangs. */
  timeoutRate?: number;
  /** How long a "timeout" hangs before answering 504 (default 30 s), unless the client disconnects first. */
  timeoutMs?: number;
  /** "after": apply the write, then answer the fault (the lost-response case). Default "before". */
  phase?: "before" | "after";
  /** Methods the faults apply to (default all). */
  methods?: string[];
  /** Seed for a deterministic PRNG; Math.random otherwise. */
  seed?: number;
}

export interface LroSettings {
  durationMs?: number;
  /** How long a template deployment runs (its what-if and validate take `durationMs`); default `durationMs`. */
  deploymentDurationMs?: number;
  /** Retry-After (seconds) on every long-running answer; default 0, which tells the SDK to use its own interval. */
  retryAfterSeconds?: number;
}

export interface RoleAssignment {
  scope: string;
  actions: string[];
  notActions?: string[];
}

export interface EmulatedIdentity {
  kind: "system" | "user";
  principalId: string;
  clientId: string;
  resourceId?: string;
  roleAssignments: RoleAssignment[];
}

export interface EmulatorOptions {
  host?: string;
  armPort?: number;
  imdsPort?: number;
  tenantId?: string;
  subscriptions?: string[];
  identities?: EmulatedIdentity[];
  latencyMs?: number;
  throttle?: ThrottleSettings | false;
  faults?: FaultSettings;
  lro?: LroSettings;
  tokenLifetimeSeconds?: number;
  /** The VM's userData (base64), as IMDS serves it; a redeploy changes it with `configure`. */
  userData?: string;
  /** The emulated vault's port and RBAC roles (keyvault/index.ts). */
  keyVault?: KeyVaultOptions;
}

export type EmulatorPatch = Partial<
  Pick<EmulatorOptions, "latencyMs" | "throttle" | "faults" | "lro" | "userData">
> & {
  imdsAvailable?: boolean;
  imdsStatus?: number;
};

export interface RecordedRequest {
  at: string;
  method: string;
  path: string;
  canonicalPath: string;
  apiVersion?: string;
  clientRequestId?: string;
  correlationId?: string;
  principalId?: string;
  status: number;
  armRequestId: string;
  fault?: "status" | "timeout";
  throttled?: boolean;
}

export interface EmulatorStats {
  imdsTokenRequests: number;
  armRequests: number;
  byMethodAndPath: Record<string, number>;
  effects: Record<string, number>;
  throttled: number;
  faulted: number;
}

export interface Emulator {
  armUrl: string;
  imdsUrl: string;
  /** The emulated vault (`https://127.0.0.1:PORT`), serving the Key Vault secrets API. */
  keyVaultUrl: string;
  /** The vault's secrets, for tests to inspect; writes go through the API with a Secrets Officer. */
  keyVault: SecretStore;
  caCertPem: string;
  tenantId: string;
  subscriptions: string[];
  identities: EmulatedIdentity[];
  audience: string;
  configure(patch: EmulatorPatch): void;
  requests(filter?: { method?: string; pathPrefix?: string }): RecordedRequest[];
  stats(): EmulatorStats;
  resource(id: string): unknown | undefined;
  /** Serves a template at `/_emulator/templates/{name}` for templateLink; returns its URL. */
  serveTemplate(name: string, template: unknown): string;
  reset(): void;
  stop(): Promise<void>;
}
