// Job status and administration: GET /v1/jobs/{id} for the caller that made the job (its own
// credential) or an operator, and for operators GET /v1/jobs and POST /v1/jobs/{id}/retry.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { auditActor } from "../audit/record.ts";
import type { OperatorConfig } from "../config/schema.ts";
import { JOB_STATES, type Job } from "../jobs/job.ts";
import type { JobProgressReader } from "../jobs/progress.ts";
import type { JobStore } from "../jobs/store.ts";
import type { JobWaiter } from "../jobs/waiter.ts";
import { AppError, isAppError } from "../kernel/errors.ts";
import type { CallerGate } from "./caller-gate.ts";
import { acceptedHeaders, JobPageSchema, JobSchema, PreferHeader } from "./job-schemas.ts";
import { operatorLookup, requireOperator } from "./operator-auth.ts";
import { problemResponses } from "./problem-docs.ts";
import { jobLocation, jobView, preferredWait, waitFor } from "./responses.ts";
import { CALLER_SECURITY, OPERATOR_SECURITY } from "./security-docs.ts";

/**
 * Callers whose credential signs a body: over a GET's empty body the signature would be the same
 * every time, a static password anyone who saw it once could replay.
 */
const SIGNED_KINDS: ReadonlySet<string> = new Set(["github-webhook", "standard-webhook"]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const listQuery = z.strictObject({
  state: z.enum(JOB_STATES as [Job["state"], ...Job["state"][]]).optional(),
  caller: z.string().min(1).max(63).optional().describe("A caller id"),
  since: z.iso.datetime({ offset: true }).optional().describe("Jobs created at or after this time"),
  until: z.iso.datetime({ offset: true }).optional().describe("Jobs created before this time"),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(512).optional().describe("From the previous page's `links.next`"),
});

// Any string: an id that is not a UUID is simply a job that does not exist (404), like any unknown id.
const jobIdParam = z.object({
  id: z.string().openapi({ format: "uuid", example: "0b5e0c3e-7e0c-4a4e-9a56-4f6f2b8c9d10" }),
});

const json = <S extends z.ZodType>(schema: S) => ({ "application/json": { schema } });

const getJob = createRoute({
  method: "get",
  path: "/v1/jobs/{id}",
  operationId: "getJob",
  tags: ["Jobs"],
  summary: "A job's state and result",
  description:
    "Only with the credential of the caller that made the job, or an operator's API key: job ids appear in logs and traces, so knowing one is not enough. With `Prefer: wait=N` the answer waits until the job finished or N seconds passed. Callers that cannot send a credential with a GET (signed webhooks) get their result by sending `Prefer: wait=N` with the delivery itself.",
  security: [...CALLER_SECURITY, ...OPERATOR_SECURITY],
  request: { params: jobIdParam, headers: z.object({ Prefer: PreferHeader }) },
  responses: {
    200: { description: "The job", content: json(JobSchema) },
    ...problemResponses("unauthenticated", "job_not_found", "rate_limited", "unavailable"),
  },
});

const listJobs = createRoute({
  method: "get",
  path: "/v1/jobs",
  operationId: "listJobs",
  tags: ["Operators"],
  summary: "Jobs newest first, filtered, page by page",
  security: OPERATOR_SECURITY,
  request: { query: listQuery },
  responses: {
    200: { description: "One page of jobs", content: json(JobPageSchema) },
    ...problemResponses("bad_request", "unauthenticated"),
  },
});

const retryJob = createRoute({
  method: "post",
  path: "/v1/jobs/{id}/retry",
  operationId: "retryJob",
  tags: ["Operators"],
  summary: "Re-queue a dead job with fresh attempts",
  security: OPERATOR_SECURITY,
  request: { params: jobIdParam },
  responses: {
    202: { description: "Re-queued", headers: acceptedHeaders, content: json(JobSchema) },
    ...problemResponses("unauthenticated", "job_not_found", "conflict"),
  },
});

export interface JobRouteDeps {
  store: JobStore;
  waiter: JobWaiter;
  operators: readonly OperatorConfig[];
  /** Authenticates a job's reader as the caller that made it. */
  gate: CallerGate;
  /** Told after a dead letter was re-queued, so a worker can start at once. */
  onAccepted: () => void;
  /** A running job's progress read from ARM (a deployment's operations); none when absent. */
  progressOf?: JobProgressReader;
}

export function registerJobRoutes(
  app: OpenAPIHono,
  { store, waiter, operators, gate, onAccepted, progressOf }: JobRouteDeps,
): void {
  const operator = requireOperator(operators);
  const lookupOperator = operatorLookup(operators);
  const find = async (id: string) => {
    const job = UUID.test(id) ? await store.get(id.toLowerCase()) : undefined;
    if (!job) throw new AppError("job_not_found", `no job with id '${id}'`);
    return job;
  };

  app.openapi(getJob, async (c) => {
    const job = await find(c.req.valid("param").id);
    if (lookupOperator(c) === undefined) {
      if (SIGNED_KINDS.has(job.caller.kind)) {
        throw new AppError(
          "unauthenticated",
          "a signed webhook's jobs are read by operators; send Prefer: wait=N with the delivery for its result",
        );
      }
      // Only the job's own caller is tried: another caller's credential is simply not this one's,
      // and the refusal must not describe how the job's caller is configured.
      await gate(c, [job.caller.id], new Uint8Array()).catch((err: unknown) => {
        if (isAppError(err) && (err.code === "rate_limited" || err.code === "unavailable")) throw err;
        throw new AppError(
          "unauthenticated",
          "send the credential of the caller that made this job, or an operator's API key",
        );
      });
    }
    const wait = preferredWait(c);
    const [current] = wait > 0 ? await waitFor(c, waiter, [job.id], wait) : [job];
    const progress = await progressOf?.(current ?? job);
    return c.json({ ...jobView(current ?? job), ...(progress ? { progress } : {}) }, 200);
  });

  app.openapi({ ...listJobs, middleware: [operator] }, async (c) => {
    const q = c.req.valid("query");
    try {
      const page = await store.list({
        ...(q.state ? { state: q.state } : {}),
        ...(q.caller ? { callerId: q.caller } : {}),
        ...(q.since ? { since: q.since } : {}),
        ...(q.until ? { until: q.until } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
        limit: q.limit,
      });
      const next = page.nextCursor
        ? `/v1/jobs?${new URLSearchParams({ ...c.req.query(), cursor: page.nextCursor })}`
        : null;
      return c.json({ jobs: page.jobs.map(jobView), links: { next } }, 200);
    } catch (err) {
      if (err instanceof RangeError)
        throw new AppError("bad_request", "query cursor: not a cursor of this list");
      throw err;
    }
  });

  app.openapi({ ...retryJob, middleware: [operator] }, async (c) => {
    const job = await find(c.req.valid("param").id);
    const outcome = await store.requeue(job.id, {
      time: new Date().toISOString(),
      requestId: c.get("requestId"),
      ...auditActor(job.caller),
      ...(job.routeId ? { routeId: job.routeId } : {}),
      operation: job.operation,
      scope: job.scope,
      kind: "job",
      outcome: "requeued",
      reason: `dead letter re-queued by operator '${c.get("operatorId")}'`,
      jobId: job.id,
      correlationId: job.correlationId,
    });
    if (!outcome) throw new AppError("job_not_found", `no job with id '${job.id}'`);
    if (!outcome.requeued) {
      throw new AppError("conflict", `job is ${outcome.job.state}; only a dead job can be retried`);
    }
    onAccepted();
    c.header("Location", jobLocation(job.id));
    return c.json(jobView(outcome.job), 202);
  });
}
