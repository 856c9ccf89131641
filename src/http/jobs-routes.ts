// Job status for callers: GET /v1/jobs/{id}. The id is an unguessable UUID handed only to the caller.
import type { Hono } from "hono";
import type { Job } from "../jobs/job.ts";
import type { JobStore } from "../jobs/store.ts";
import { BridgeError } from "./errors.ts";

export function jobLocation(id: string): string {
  return `/v1/jobs/${id}`;
}

/** The public view of a job: what was asked, by whom, and how it ended; no internal bookkeeping. */
export function jobView(job: Job) {
  return {
    id: job.id,
    state: job.state,
    operation: job.operation,
    scope: job.scope,
    caller: { id: job.caller.id, kind: job.caller.kind, subject: job.caller.subject },
    routeId: job.routeId ?? null,
    attempts: job.attempts,
    correlationId: job.correlationId,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt ?? null,
    result: job.result ?? null,
    error: job.error ?? null,
    links: { self: jobLocation(job.id) },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerJobRoutes(app: Hono, store: JobStore): void {
  app.get("/v1/jobs/:id", async (c) => {
    const id = c.req.param("id");
    const job = UUID.test(id) ? await store.get(id.toLowerCase()) : undefined;
    if (!job) throw new BridgeError("job_not_found", `no job with id '${id}'`);
    return c.json(jobView(job));
  });
}
