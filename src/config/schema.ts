// The zod schema of armbridge's YAML config: the single source of its types, validation and JSON Schema.
import { z } from "zod";
import { checkScopePattern } from "../kernel/arm-scope.ts";
import type { CallerKind } from "../kernel/caller.ts";
import { SECRET_HASH } from "../kernel/secret.ts";
import { callerId, createCallerSchema } from "./callers-schema.ts";
import { filterSchema } from "./filter-schema.ts";
import { secretRefFactory } from "./secret-ref.ts";
import { createStoreSchema } from "./store-schema.ts";

export type Env = Readonly<Record<string, string | undefined>>;

const id = callerId;

const serverSchema = z.strictObject({
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(8080),
  bodyLimitBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  shutdownTimeoutSeconds: z.number().positive().max(300).default(25),
});

const bucketSchema = z.strictObject({
  burst: z.number().int().min(1).max(100_000),
  perSecond: z.number().positive().max(100_000),
});

const azureSchema = z.strictObject({
  resourceManagerEndpoint: z.url({ protocol: /^https$/ }).default("https://management.azure.com"),
  /** The token audience ARM expects; the credential asks for `${audience}/.default`. */
  audience: z.url().default("https://management.azure.com"),
  identity: z
    .strictObject({
      clientId: z.guid().optional(),
      resourceId: z.string().startsWith("/subscriptions/").optional(),
    })
    .refine((v) => !(v.clientId && v.resourceId), "set clientId or resourceId, not both")
    .prefault({}),
  /** An extra CA certificate (PEM file) trusted for ARM calls only, beside the system's (e.g. a local ARM's). */
  caCertFile: z.string().optional(),
  /** Overrides the IMDS host (the SDK's AZURE_POD_IDENTITY_AUTHORITY_HOST). */
  imdsEndpoint: z.url({ protocol: /^https?$/ }).optional(),
  /** Secrets referenced as `{ keyVault: URL }`: read with the managed identity, then re-read on a schedule. */
  keyVault: z
    .strictObject({
      /** How often every Key Vault secret is re-read, so a rotation takes effect without a restart. */
      refreshSeconds: z.number().int().min(10).max(86_400).default(300),
      /**
       * How long after a new version is created the previous (still enabled) version is accepted too,
       * so webhook senders can switch over. Disabling the old version in Key Vault ends it earlier.
       */
      rotationOverlapSeconds: z
        .number()
        .int()
        .min(0)
        .max(30 * 86_400)
        .default(86_400),
    })
    .prefault({}),
  /** How often long-running operations are polled when ARM sends no Retry-After. */
  pollIntervalMs: z.number().int().min(10).max(60_000).default(2000),
  /** Per-request timeout of ARM calls; a timed-out call is retried like a 5xx. */
  requestTimeoutMs: z.number().int().min(100).max(600_000).default(60_000),
  /**
   * armbridge's own per-subscription token buckets, one per request kind, taken before every ARM
   * request (including the SDK's retries). They mirror ARM's and shrink to what ARM reports left.
   */
  throttle: z
    .strictObject({
      enabled: z.boolean().default(true),
      reads: bucketSchema.prefault({ burst: 250, perSecond: 25 }),
      writes: bucketSchema.prefault({ burst: 200, perSecond: 10 }),
      deletes: bucketSchema.prefault({ burst: 200, perSecond: 10 }),
    })
    .prefault({}),
  /** In-call retries by the SDK (a 429 waits for its Retry-After); durable retries are the worker's. */
  retry: z
    .strictObject({
      maxRetries: z.number().int().min(0).max(10).default(2),
      retryDelayMs: z.number().int().min(1).max(60_000).default(500),
      maxRetryDelayMs: z.number().int().min(1).max(300_000).default(10_000),
    })
    .prefault({}),
});

const jobsSchema = z.strictObject({
  concurrency: z.number().int().min(1).max(256).default(8),
  maxAttempts: z.number().int().min(1).max(100).default(8),
  /** Poll interval of the worker when no new job woke it. */
  pollIntervalMs: z.number().int().min(10).max(60_000).default(1000),
  /** How long a running job's lease lasts before another worker may take it over after a crash. */
  leaseSeconds: z.number().int().min(5).max(3600).default(60),
  /** Backoff between a job's attempts: exponential from the base, capped, with jitter. */
  retryBaseMs: z.number().int().min(1).max(600_000).default(1000),
  retryMaxMs: z.number().int().min(1).max(3_600_000).default(300_000),
  /** A job still not done this long after it was accepted (or re-queued) becomes `dead`. */
  maxAgeSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
  /** Run at most one job per ARM scope at a time, oldest first, so jobs on one resource never race. */
  serializeByScope: z.boolean().default(false),
});

const auditSchema = z.strictObject({
  /** Audit records older than this are purged (hourly). */
  retentionDays: z.number().int().min(1).max(3650).default(90),
  /** When set, resources armbridge creates or updates get this tag with the caller's id. */
  callerTag: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "must be a tag name (letters, digits, . _ -)")
    .optional(),
});

/** Operators may list jobs and re-queue dead letters; the key itself is never in the file. */
const operatorSchema = z.strictObject({
  id,
  /**
   * The operator's API key as `sha256:<hex>`, the one hash format of configured keys (callers' API keys
   * use it too). Bare hex, the format of earlier releases, is still accepted and read as `sha256:<hex>`.
   */
  apiKeyHash: z
    .string()
    .regex(
      /^(sha256:)?[0-9a-fA-F]{64}$/,
      "must be 'sha256:' followed by the 64 hex digits of the key's SHA-256",
    )
    .transform((s) => `sha256:${s.toLowerCase().replace(/^sha256:/, "")}`)
    .pipe(z.string().regex(SECRET_HASH)),
});

const hookSchema = z.strictObject({
  id,
  /** The callers allowed to deliver to this hook. */
  callers: z.array(id).min(1),
});

/** The most events Event Grid puts in one delivery, and its 1 MB batch limit plus the JSON around it. */
export const MAX_BATCH_EVENTS = 5000;
const DEFAULT_EVENTS_BODY_BYTES = 1_572_864;

const sourceSchema = z.strictObject({
  id,
  /** Which delivery schemas `POST /events/{id}` accepts. */
  schema: z.enum(["eventgrid", "cloudevents", "both"]),
  /** The callers allowed to deliver to this source (usually one of kind `eventgrid`). */
  callers: z.array(id).min(1),
  /** Origins the CloudEvents abuse-protection handshake (`OPTIONS`) allows; Event Grid sends its own. */
  allowedOrigins: z.array(z.string().min(1)).default(["eventgrid.azure.net"]),
  /** `WebHook-Allowed-Rate`: deliveries per minute the source accepts, or `*`. */
  webhookAllowedRate: z.union([z.number().int().min(1), z.literal("*")]).default("*"),
  /** A larger batch is refused with 413 (Event Grid does not retry it). */
  maxEvents: z.number().int().min(1).max(MAX_BATCH_EVENTS).default(MAX_BATCH_EVENTS),
  /** Body limit of `POST /events/{id}` (instead of `server.bodyLimitBytes`). */
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(DEFAULT_EVENTS_BODY_BYTES),
});

const scopePattern = z.string().superRefine((pattern, ctx) => {
  const problem = checkScopePattern(pattern);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const grantSchema = z.strictObject({
  caller: id,
  operations: z.array(z.string()).min(1),
  /** Provider actions (`start`, `powerOff`, …) an action operation may run; none unless listed. */
  actions: z
    .array(z.string().regex(/^(\*|[A-Za-z][A-Za-z0-9]{0,63})$/, "must be an action name such as 'start'"))
    .min(1)
    .optional(),
  /**
   * Resource types (`Microsoft.Compute/virtualMachines`) the generic resource operations (`resource.*`)
   * may touch; without it, any type within the scopes. Also narrows `armbridge roles`.
   */
  resourceTypes: z
    .array(
      z
        .string()
        .regex(
          /^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+(\/[A-Za-z0-9]+)+$/,
          "must be a resource type such as 'Microsoft.Compute/virtualMachines'",
        ),
    )
    .min(1)
    .optional(),
  scopes: z.array(scopePattern).min(1),
});

const routeActionSchema = z.strictObject({
  /** Names the action so that another action of the route can run `after` it. */
  id: id.optional(),
  /** Actions of the same route this one runs after; it runs only when they all succeeded. */
  after: z.array(id).min(1).optional(),
  operation: z.string(),
  /** Parameters with `{{ event.… }}`, `{{ caller.… }}` templates; rendered, then validated. */
  parameters: z.record(z.string(), z.unknown()).default({}),
});

const routeSchema = z.strictObject({
  id,
  trigger: z
    .strictObject({
      /** The hook (`POST /hooks/{id}`) or the event source (`POST /events/{id}`) whose events fire the route. */
      hook: id.optional(),
      source: id.optional(),
      /** Event types that fire the route (X-GitHub-Event, Event Grid `eventType`, CloudEvents `type`); empty means any. */
      events: z.array(z.string()).default([]),
      /** Conditions over `event.…` and `caller.…` that must hold as well. */
      filter: filterSchema.optional(),
    })
    .refine((t) => (t.hook === undefined) !== (t.source === undefined), "set exactly one of hook, source"),
  actions: z.array(routeActionSchema).min(1),
});

/**
 * Builds the schema. Secret references resolve against `env` while parsing (or, with
 * `secrets: "placeholder"`, unset ones become placeholders); `operations` are the names of the
 * operation catalog that grants and routes may use.
 */
export function createConfigSchema(
  env: Env,
  operations: readonly string[],
  options: { secrets?: "resolve" | "placeholder" } = {},
) {
  const secretRef = secretRefFactory(env, options.secrets === "placeholder");
  const telemetrySchema = z
    .strictObject({
      logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
      /** Application Insights: traces, metrics and logs go there through the Azure Monitor exporters. */
      connectionString: secretRef().optional(),
      /** An OTLP/HTTP collector's base URL (`/v1/traces` and `/v1/metrics` are appended). */
      otlpEndpoint: z.url({ protocol: /^https?$/ }).optional(),
      serviceName: z.string().min(1).max(128).default("armbridge"),
      /**
       * The share of traces kept, decided per trace so a kept request keeps its ARM calls. No
       * rate-limiting sampler is used: at the default of 1 every ARM call's span is exported.
       */
      samplingRatio: z.number().min(0).max(1).default(1),
      metricIntervalSeconds: z.number().int().min(1).max(3600).default(60),
      /** `GET /metrics` in the Prometheus text format, for those who scrape; off unless enabled. */
      prometheus: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
      /**
       * The node_exporter textfile the IMDS lock-down watch writes every minute (deploy/imds/): read at
       * each metric collection and exported as `armbridge.imds_lockdown.*` gauges, so the lock-down's
       * state (and a watch that stopped) reaches Azure Monitor. Unset: no such gauges.
       */
      imdsLockdownFile: z.string().min(1).optional(),
    })
    .refine((t) => !(t.connectionString && t.otlpEndpoint), "set connectionString or otlpEndpoint, not both");

  const callerSchema = createCallerSchema(secretRef);

  return z
    .strictObject({
      $schema: z.string().optional(),
      server: serverSchema.prefault({}),
      dataDir: z.string().default("./data"),
      store: createStoreSchema(secretRef),
      azure: azureSchema.prefault({}),
      jobs: jobsSchema.prefault({}),
      telemetry: telemetrySchema.prefault({}),
      audit: auditSchema.prefault({}),
      operators: z.array(operatorSchema).default([]),
      callers: z.array(callerSchema).default([]),
      hooks: z.array(hookSchema).default([]),
      sources: z.array(sourceSchema).default([]),
      grants: z.array(grantSchema).default([]),
      // The code calls these triggers (src/triggers/), but the key stays `routes:`: every deployed config
      // file and every doc example uses it, and renaming it would break them for no gain to users.
      routes: z.array(routeSchema).default([]),
    })
    .superRefine((config, ctx) => checkReferences(config, operations, ctx));
}

interface References {
  operators: { id: string }[];
  callers: { id: string }[];
  hooks: { id: string; callers: string[] }[];
  sources: { id: string; callers: string[] }[];
  grants: { caller: string; operations: string[] }[];
  routes: {
    id: string;
    trigger: { hook?: string; source?: string };
    actions: { id?: string | undefined; after?: string[] | undefined; operation: string }[];
  }[];
}

/** Cross-field checks: every name a config uses must exist, and ids must be unique. */
function checkReferences(config: References, operations: readonly string[], ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  const unique = (list: { id: string }[], key: string) => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      if (seen.has(item.id)) issue([key, i, "id"], `duplicate id '${item.id}'`);
      seen.add(item.id);
    });
    return seen;
  };
  const callers = unique(config.callers, "callers");
  const hooks = unique(config.hooks, "hooks");
  const sources = unique(config.sources, "sources");
  unique(config.routes, "routes");
  unique(config.operators, "operators");
  const knownOperation = new Set(operations);
  for (const key of ["hooks", "sources"] as const) {
    config[key].forEach((entry, i) => {
      entry.callers.forEach((c, j) => {
        if (!callers.has(c)) issue([key, i, "callers", j], `unknown caller '${c}'`);
      });
    });
  }
  config.grants.forEach((grant, i) => {
    if (!callers.has(grant.caller)) issue(["grants", i, "caller"], `unknown caller '${grant.caller}'`);
    grant.operations.forEach((op, j) => {
      if (op !== "*" && !knownOperation.has(op))
        issue(["grants", i, "operations", j], `unknown operation '${op}'`);
    });
  });
  config.routes.forEach((route, i) => {
    const { hook, source } = route.trigger;
    if (hook !== undefined && !hooks.has(hook))
      issue(["routes", i, "trigger", "hook"], `unknown hook '${hook}'`);
    if (source !== undefined && !sources.has(source))
      issue(["routes", i, "trigger", "source"], `unknown source '${source}'`);
    const earlier = new Set<string>();
    route.actions.forEach((action, j) => {
      if (!knownOperation.has(action.operation)) {
        issue(["routes", i, "actions", j, "operation"], `unknown operation '${action.operation}'`);
      }
      action.after?.forEach((name, k) => {
        if (!earlier.has(name)) {
          issue(["routes", i, "actions", j, "after", k], `no earlier action '${name}' in this route`);
        }
      });
      if (action.id !== undefined) {
        if (earlier.has(action.id))
          issue(["routes", i, "actions", j, "id"], `duplicate action id '${action.id}'`);
        earlier.add(action.id);
      }
    });
  });
}

type ConfigSchema = ReturnType<typeof createConfigSchema>;
export type ConfigInput = z.input<ConfigSchema>;
export type Config = z.output<ConfigSchema>;
export type CallerConfig = Config["callers"][number];
export type HookConfig = Config["hooks"][number];
export type SourceConfig = Config["sources"][number];
export type GrantConfig = Config["grants"][number];
export type RouteConfig = Config["routes"][number];
export type { CallerKind };

// The kernel names the caller kinds for every layer; this fails to compile when the schema disagrees.
type SameKinds = [CallerConfig["kind"]] extends [CallerKind]
  ? [CallerKind] extends [CallerConfig["kind"]]
    ? true
    : never
  : never;
true satisfies SameKinds;
export type OidcCallerConfig = Extract<CallerConfig, { kind: "oidc" }>;
export type ApiKeyCallerConfig = Extract<CallerConfig, { kind: "api-key" }>;
export type StandardWebhookCallerConfig = Extract<CallerConfig, { kind: "standard-webhook" }>;
export type GithubWebhookCallerConfig = Extract<CallerConfig, { kind: "github-webhook" }>;
export type EventGridCallerConfig = Extract<CallerConfig, { kind: "eventgrid" }>;
export type OperatorConfig = Config["operators"][number];
export type ThrottleConfig = Config["azure"]["throttle"];
