// A job: one operation for one caller, from acceptance to a terminal state.
import type { Caller } from "../kernel/caller.ts";

export type JobState = "accepted" | "running" | "waiting" | "succeeded" | "failed" | "dead";
export const JOB_STATES: readonly JobState[] = [
  "accepted",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "dead",
];
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(["succeeded", "failed", "dead"]);

export interface JobError {
  /** ARM's code (`ResourceGroupNotFound`) or armbridge's (`TokenUnavailable`, `Timeout`). */
  code: string;
  message: string;
  status?: number;
  /** ARM's inner errors, when it gave any. */
  details?: unknown;
}

/** The trace context of the request (or event) that accepted a job, kept so its spans join that trace. */
export interface JobTrace {
  traceparent: string;
  tracestate?: string;
  /** The telemetry instance (process) that accepted the job; only it parents the job's spans to the request. */
  origin: string;
}

/** What the accepting side knows; the store adds identity, state and bookkeeping. */
export interface JobDraft {
  /** De-duplication key: the same key always maps to the same job. */
  idempotencyKey: string | undefined;
  requestId: string;
  caller: Caller;
  routeId: string | undefined;
  actionIndex: number;
  operation: string;
  params: unknown;
  scope: string;
  trace?: JobTrace | undefined;
  /** Indexes of drafts of the same submission this one runs after (each must succeed first). */
  after?: readonly number[];
}

export interface Job extends Omit<JobDraft, "after"> {
  /** Ids of the jobs this one runs after; it runs only once all of them succeeded. */
  after: string[];
  id: string;
  state: JobState;
  attempts: number;
  correlationId: string;
  createdAt: string;
  updatedAt: string;
  /** Not run again before this time (backoff, Retry-After). */
  notBefore: string;
  finishedAt: string | undefined;
  result: unknown;
  error: JobError | undefined;
  /** The serialized poller of a long-running operation in flight: resumed, never re-sent. */
  lroState: string | undefined;
  /** When the job was accepted, or last re-queued from the dead letters; its maximum age counts from here. */
  acceptedAt: string;
}

/**
 * The operation of a job that holds an event of a batch that could not become allowed operations (no
 * route could render it, or the policy refused them). The worker routes it again: with the config
 * unchanged it ends `dead` with the reason; an operator's retry (`POST /v1/jobs/{id}/retry`) after
 * the config is fixed turns it into the event's jobs. The rest of its batch is accepted meanwhile.
 */
export const ROUTE_EVENT = "event.route";

/** The params of a ROUTE_EVENT job: everything needed to route the event again. */
export interface RouteEventParams {
  /** The entry point the event arrived at (`source:{id}`). */
  entry: string;
  event: unknown;
  /** The event's idempotency key: the jobs it makes when routed are the jobs it would have made at once. */
  idempotencyKey: string | undefined;
}
