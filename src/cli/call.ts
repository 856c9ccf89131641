// `armbridge call OPERATION`: one operation through the direct API, as a CI job or script runs it.
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { cliEnvironment } from "../config/environment.ts";
import { type ArmbridgeClient, createArmbridgeClient, type Job, type Problem } from "./armbridge-client.ts";
import { type CliIo, parse } from "./io.ts";
import { createReporter } from "./progress.ts";
import { TOKEN_SOURCES, type TokenSource, tokenFrom } from "./token-source.ts";
import { COMMAND_USAGE } from "./usage.ts";

const FINISHED = new Set(["succeeded", "failed", "dead"]);
/** How long one poll may be held by armbridge (`Prefer: wait`): progress shows at least this often. */
const POLL_WAIT_SECONDS = 2;

export async function runCallCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parse(
    argv,
    {
      url: { type: "string" },
      "token-from": { type: "string" },
      audience: { type: "string" },
      param: { type: "string", multiple: true },
      "params-file": { type: "string" },
      "idempotency-key": { type: "string" },
      wait: { type: "boolean" },
      timeout: { type: "string" },
    },
    io,
    "call",
    true,
  );
  if (!parsed) return 2;
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const usage = (message: string) => {
    io.err(`armbridge call: ${message}\n\n${COMMAND_USAGE.call}`);
    return 2;
  };
  const [operation, ...extra] = parsed.positionals;
  if (!operation || extra.length > 0) return usage("name exactly one OPERATION (e.g. deployment.create)");
  const env = cliEnvironment(io.env);
  if (!env.ok) return usage(`bad environment: ${env.problems.join("; ")}`);
  const url = (v.url as string | undefined) ?? env.value.ARMBRIDGE_URL;
  if (!url) return usage("--url (or ARMBRIDGE_URL) is required");
  const source = (v["token-from"] as string | undefined) ?? "env";
  if (!(TOKEN_SOURCES as readonly string[]).includes(source))
    return usage(`--token-from must be one of ${TOKEN_SOURCES.join(", ")}`);
  let input: Record<string, unknown>;
  try {
    input = inputFrom(v["params-file"] as string | undefined, (v.param as string[] | undefined) ?? []);
  } catch (e) {
    return usage((e as Error).message);
  }
  const timeoutSeconds = Number(v.timeout ?? 3600);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    return usage("--timeout must be a positive number");

  let token: string;
  try {
    const audience = (v.audience as string | undefined) ?? env.value.ARMBRIDGE_AUDIENCE ?? "armbridge";
    token = await tokenFrom(source as TokenSource, audience, io.env);
  } catch (e) {
    io.err(`armbridge call: no token from ${source}: ${(e as Error).message}\n`);
    return 1;
  }
  const client = createArmbridgeClient(url, token);
  const key = (v["idempotency-key"] as string | undefined) ?? idempotencyKey(operation, input, io.env);
  const { data, error, response } = await client.POST(
    // The path is one of the catalog's; armbridge answers 404 problem+json for another name.
    `/v1/operations/${operation}` as "/v1/operations/resourceGroup.ensure",
    { params: { header: { "Idempotency-Key": key } }, body: input as never },
  );
  if (error || !data) return refused(io, response.status, error as Problem | undefined);
  const job = data.jobs[0];
  if (!job) return refused(io, response.status, undefined);
  io.out(`accepted: job ${job.id} (idempotency key ${key}, ARM correlation id ${job.correlationId})\n`);
  if (!v.wait) return 0;
  return follow(client, job, timeoutSeconds, io);
}

async function follow(
  client: ArmbridgeClient,
  first: Job,
  timeoutSeconds: number,
  io: CliIo,
): Promise<number> {
  const reporter = createReporter(io.out, io.tty);
  const deadline = Date.now() + timeoutSeconds * 1000;
  let job = first;
  reporter.update(job);
  while (!FINISHED.has(job.state)) {
    if (Date.now() > deadline) {
      io.err(`armbridge call: job ${job.id} still ${job.state} after ${timeoutSeconds}s; it keeps running\n`);
      return 1;
    }
    const { data, error, response } = await client.GET("/v1/jobs/{id}", {
      params: { path: { id: job.id }, header: { Prefer: `wait=${POLL_WAIT_SECONDS}` } },
    });
    if (error || !data) return refused(io, response.status, error as Problem | undefined);
    job = data;
    reporter.update(job);
  }
  if (job.state === "succeeded") return 0;
  const armError = job.error;
  io.err(
    `armbridge call: job ${job.id} ${job.state}: ${armError ? `${armError.code}: ${armError.message}` : "no error reported"}\n`,
  );
  if (armError?.details !== undefined) io.err(`${JSON.stringify(armError.details, null, 2)}\n`);
  return 1;
}

function refused(io: CliIo, status: number, problem: Problem | undefined): number {
  io.err(
    problem
      ? `armbridge call: ${status} ${problem.code}: ${problem.detail ?? problem.title} (request ${problem.requestId})\n`
      : `armbridge call: armbridge answered ${status}\n`,
  );
  return 1;
}

/** The operation's input: the params file, then each `--param key=value` (dotted keys nest). */
export function inputFrom(
  paramsFile: string | undefined,
  params: readonly string[],
): Record<string, unknown> {
  const input: Record<string, unknown> = paramsFile
    ? (JSON.parse(readFileSync(paramsFile, "utf8")) as Record<string, unknown>)
    : {};
  for (const param of params) {
    const at = param.indexOf("=");
    if (at <= 0) throw new Error(`--param ${param}: must be KEY=VALUE`);
    const path = param.slice(0, at).split(".");
    const raw = param.slice(at + 1);
    let value: unknown = raw;
    if (raw.startsWith("@")) {
      // `template=@infra/main.json`: a JSON file, such as a template compiled with `az bicep build`.
      value = JSON.parse(readFileSync(raw.slice(1), "utf8"));
    } else {
      try {
        value = JSON.parse(raw);
      } catch {
        // Not JSON: the value is the string as written.
      }
    }
    let node = input;
    for (const part of path.slice(0, -1)) {
      if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[path[path.length - 1] as string] = value;
  }
  return input;
}

/**
 * The same CI run asking again (a retried step) gets the same job; a re-run of the pipeline a new one.
 * Outside CI every call is new.
 */
export function idempotencyKey(
  operation: string,
  input: unknown,
  env: Record<string, string | undefined>,
): string {
  const run =
    (env.GITHUB_RUN_ID &&
      `github:${env.GITHUB_RUN_ID}:${env.GITHUB_RUN_ATTEMPT ?? 1}:${env.GITHUB_JOB ?? ""}`) ||
    (env.CI_JOB_ID && `gitlab:${env.CI_JOB_ID}`) ||
    (env.BUILD_BUILDID &&
      `azure-devops:${env.BUILD_BUILDID}:${env.SYSTEM_JOBID ?? ""}:${env.SYSTEM_JOBATTEMPT ?? 1}`);
  if (!run) return randomUUID();
  return createHash("sha256")
    .update(`${run}\n${operation}\n${JSON.stringify(input)}`)
    .digest("hex")
    .slice(0, 40);
}
