// The attribution of the work in progress, carried through async calls so lower layers (the ARM
// pipeline, logs, spans) can name the caller and job without every call site passing it along.
import { AsyncLocalStorage } from "node:async_hooks";
import { type Caller, describeOnBehalfOf } from "../kernel/caller.ts";

/** Who a piece of work is for: the caller, and the actor it said it acted for. */
export interface CallerAttribution {
  callerId: string;
  callerKind?: string;
  /** E.g. `repo:org/app:ref:refs/heads/main`. */
  callerSubject?: string;
  /** The original actor the caller delivered for (`describeOnBehalfOf`), when the event named one. */
  onBehalfOf?: string;
}

/** The attribution of one job's execution; fixed for its whole run. */
export interface Attribution extends CallerAttribution {
  jobId: string;
  /** The HTTP request that accepted the job. */
  requestId: string;
  routeId: string | undefined;
  operation: string;
  scope: string;
  /** Sent to ARM as x-ms-correlation-request-id; ARM writes it into the activity log. */
  correlationId: string;
  /** Sent to ARM as x-ms-client-request-id; the same for every attempt, so a retry is recognisable. */
  clientRequestId: string;
}

/** What an HTTP request has learned about itself so far; filled in as authentication and routing go. */
export interface RequestAttribution extends Partial<CallerAttribution> {
  requestId: string;
  /** The route ids, operations and scopes the request asked for (a hook may fire several). */
  routeIds?: string[];
  operations?: string[];
  scopes?: string[];
}

const jobs = new AsyncLocalStorage<Attribution>();
const requests = new AsyncLocalStorage<RequestAttribution>();

export function withAttribution<T>(attribution: Attribution, fn: () => Promise<T>): Promise<T> {
  return jobs.run(attribution, fn);
}

export function currentAttribution(): Attribution | undefined {
  return jobs.getStore();
}

export function withRequestAttribution<T>(attribution: RequestAttribution, fn: () => Promise<T>): Promise<T> {
  return requests.run(attribution, fn);
}

export function currentRequestAttribution(): RequestAttribution | undefined {
  return requests.getStore();
}

/** Adds what the request has learned (its caller, its operations) to the request's attribution. */
export function annotateRequest(patch: Partial<RequestAttribution>): void {
  const current = requests.getStore();
  if (current) Object.assign(current, patch);
}

export function callerAttribution(caller: Caller): CallerAttribution {
  const actor = describeOnBehalfOf(caller.onBehalfOf);
  return {
    callerId: caller.id,
    callerKind: caller.kind,
    callerSubject: caller.subject,
    ...(actor ? { onBehalfOf: actor } : {}),
  };
}
