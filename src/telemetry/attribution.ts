// The attribution of the work in progress, carried through async calls so lower layers (the ARM
// pipeline, logs, spans) can name the caller and job without every call site passing it along.
import { AsyncLocalStorage } from "node:async_hooks";

export interface Attribution {
  jobId: string;
  /** The HTTP request that accepted the job. */
  requestId: string;
  callerId: string;
  /** The original actor the caller delivered for (`describeOnBehalfOf`), when the event named one. */
  onBehalfOf?: string;
  routeId: string | undefined;
  operation: string;
  scope: string;
  /** Sent to ARM as x-ms-correlation-request-id; ARM writes it into the activity log. */
  correlationId: string;
  /** Sent to ARM as x-ms-client-request-id; the same for every attempt, so a retry is recognisable. */
  clientRequestId: string;
}

const storage = new AsyncLocalStorage<Attribution>();

export function withAttribution<T>(attribution: Attribution, fn: () => Promise<T>): Promise<T> {
  return storage.run(attribution, fn);
}

export function currentAttribution(): Attribution | undefined {
  return storage.getStore();
}
