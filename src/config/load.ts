// Reads the YAML config once at start, applies environment overrides, and validates it as a whole.
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { processEnvironment } from "./environment.ts";
import { type Config, createConfigSchema, type Env } from "./schema.ts";

export const DEFAULT_CONFIG_PATH = "config/local.yaml";

/** A config that cannot be used; `problems` names every offending field with its reason. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(source: string, problems: string[]) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** The config path: `--config PATH` (or `--config=PATH`) wins over ARMBRIDGE_CONFIG, then the default. */
export function configPathFrom(argv: readonly string[], env: Env): string {
  const i = argv.indexOf("--config");
  if (i >= 0 && argv[i + 1]) return argv[i + 1] as string;
  const inline = argv.find((a) => a.startsWith("--config="));
  if (inline) return inline.slice("--config=".length);
  return env.ARMBRIDGE_CONFIG ?? DEFAULT_CONFIG_PATH;
}

export interface ParseOptions {
  /** `placeholder` reads the config's shape without its secrets (for tools such as `armbridge roles`). */
  secrets?: "resolve" | "placeholder";
}

export function loadConfigFile(
  path: string,
  env: Env,
  operations: readonly string[],
  options: ParseOptions = {},
): Config {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file: ${(err as Error).message}`]);
  }
  return parseConfig(text, env, operations, path, options);
}

export function parseConfig(
  text: string,
  env: Env,
  operations: readonly string[],
  source = "config",
  options: ParseOptions = {},
): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => `YAML: ${e.message.split("\n")[0]}`),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(source, ["(root): must be a mapping"]);
  }
  const result = createConfigSchema(env, operations, options).safeParse(
    applyEnvOverrides(raw as Record<string, unknown>, env),
  );
  if (!result.success) throw new ConfigError(source, result.error.issues.map(describeIssue));
  return result.data;
}

/** Deployment-specific values come from the environment so one config file serves many VMs. */
function applyEnvOverrides(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const out = structuredClone(raw);
  const section = (key: string): Record<string, unknown> => {
    const current = out[key];
    if (current === undefined || current === null) out[key] = {};
    return out[key] as Record<string, unknown>;
  };
  const integer = (value: string): number | string => (/^\d+$/.test(value) ? Number(value) : value);
  if (env.ARMBRIDGE_HOST) section("server").host = env.ARMBRIDGE_HOST;
  if (env.ARMBRIDGE_PORT) section("server").port = integer(env.ARMBRIDGE_PORT);
  if (env.ARMBRIDGE_DATA_DIR) out.dataDir = env.ARMBRIDGE_DATA_DIR;
  if (env.ARMBRIDGE_LOG_LEVEL) section("telemetry").logLevel = env.ARMBRIDGE_LOG_LEVEL;
  if (env.ARMBRIDGE_IDENTITY_CLIENT_ID || env.ARMBRIDGE_IDENTITY_RESOURCE_ID) {
    const azure = section("azure");
    azure.identity = {
      ...(env.ARMBRIDGE_IDENTITY_CLIENT_ID ? { clientId: env.ARMBRIDGE_IDENTITY_CLIENT_ID } : {}),
      ...(env.ARMBRIDGE_IDENTITY_RESOURCE_ID ? { resourceId: env.ARMBRIDGE_IDENTITY_RESOURCE_ID } : {}),
    };
  }
  // Where ARM and IMDS are, and an extra CA to trust for ARM: per-cloud values, and how the local
  // launcher (`npm start`) points armbridge at a stand-in without armbridge knowing of it.
  if (env.ARMBRIDGE_ARM_ENDPOINT) section("azure").resourceManagerEndpoint = env.ARMBRIDGE_ARM_ENDPOINT;
  if (env.ARMBRIDGE_IMDS_ENDPOINT) section("azure").imdsEndpoint = env.ARMBRIDGE_IMDS_ENDPOINT;
  if (env.ARMBRIDGE_CA_CERT_FILE) section("azure").caCertFile = env.ARMBRIDGE_CA_CERT_FILE;
  const telemetry = section("telemetry");
  if (env.APPLICATIONINSIGHTS_CONNECTION_STRING && telemetry.connectionString === undefined) {
    telemetry.connectionString = { env: "APPLICATIONINSIGHTS_CONNECTION_STRING" };
  }
  // The deployment mounts the lock-down watch's folder into the container and names the file here.
  if (env.ARMBRIDGE_IMDS_LOCKDOWN_FILE) telemetry.imdsLockdownFile = env.ARMBRIDGE_IMDS_LOCKDOWN_FILE;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT && telemetry.otlpEndpoint === undefined) {
    telemetry.otlpEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.reduce<string>(
    (acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)),
    "",
  );
  return `${path || "(root)"}: ${issue.message}`;
}

/** The process's config, from the process's environment (environment.ts). */
export function loadProcessConfig(
  argv: readonly string[],
  operations: readonly string[],
  options: ParseOptions = {},
): { path: string; config: Config } {
  const env = processEnvironment();
  const path = configPathFrom(argv, env);
  return { path, config: loadConfigFile(path, env, operations, options) };
}
