// Response builders of the HTTP edge: the public view of a job, its Location, `Prefer: wait`, and the
// answer of every accepting endpoint (hooks, events, the operations API) and of the operator routes.
import type { Context } from "hono";
import type { Job } from "../jobs/job.ts";
import type { AcceptResult } from "../jobs/store.ts";
import type { JobWaiter } from "../jobs/waiter.ts";
import type { JobViewData } from "./job-schemas.ts";

/** The longest `Prefer: wait` honoured; Event Grid and most CI systems give up after 30 s. */
export const MAX_WAIT_SECONDS = 60;

export function jobLocation(id: string): string {
  return `/v1/jobs/${id}`;
}

/** The public view of a job: what was asked, by whom, and how it ended; no internal bookkeeping. */
export function jobView(job: Job): JobViewData {
  return {
    id: job.id,
    state: job.state,
    operation: job.operation,
    scope: job.scope,
    caller: {
      id: job.caller.id,
      kind: job.caller.kind,
      subject: job.caller.subject,
      ...(job.caller.onBehalfOf ? { onBehalfOf: job.caller.onBehalfOf } : {}),
    },
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

/** Seconds from `Prefer: wait=N` (RFC 7240), capped; 0 when absent. */
export function preferredWait(c: Context): number {
  const match = /(?:^|[,;\s])wait=(\d+)/i.exec(c.req.header("prefer") ?? "");
  if (!match) return 0;
  const seconds = Math.min(Number(match[1]), MAX_WAIT_SECONDS);
  c.header("Preference-Applied", `wait=${seconds}`);
  return seconds;
}

export const waitFor = (c: Context, waiter: JobWaiter, ids: string[], seconds: number) =>
  waiter.wait(ids, seconds * 1000, c.req.raw.signal);

/**
 * The answer of an accepting endpoint: 202 with the jobs; 200 when the submission was a replay or,
 * under `Prefer: wait=N`, every job finished in time.
 */
export async function acceptedResponse(
  c: Context,
  result: AcceptResult,
  waiter: JobWaiter,
): Promise<Response> {
  const replayed = !result.created.some(Boolean);
  const wait = preferredWait(c);
  const jobs =
    wait > 0
      ? await waitFor(
          c,
          waiter,
          result.jobs.map((j) => j.id),
          wait,
        )
      : result.jobs;
  const finished = jobs.every((j) => j.state === "succeeded" || j.state === "failed" || j.state === "dead");
  const first = jobs[0];
  if (first) c.header("Location", jobLocation(first.id));
  return c.json({ jobs: jobs.map(jobView), replayed }, replayed || (wait > 0 && finished) ? 200 : 202);
}
