// The audit log's records: who asked for what, what policy decided, which ARM calls were made, how each job ended.
import { type Caller, describeOnBehalfOf } from "../kernel/caller.ts";

export type AuditKind = "decision" | "arm-call" | "job";

export interface AuditRecord {
  time: string;
  requestId: string;
  callerId: string;
  /** The person or pipeline a service caller acted for, when it said so. */
  onBehalfOf?: string;
  routeId?: string;
  operation: string;
  scope: string;
  kind: AuditKind;
  /** For `decision`: allow or deny, and why. */
  decision?: "allow" | "deny";
  reason?: string;
  /** For `job`: the terminal state (or `requeued`); for `arm-call`: the HTTP method and path. */
  outcome?: string;
  jobId?: string;
  /** The x-ms-correlation-request-id the ARM calls carried; ARM writes it into the activity log. */
  correlationId?: string;
  /** ARM's x-ms-request-id of the response. */
  armRequestId?: string;
  status?: number;
}

export interface AuditFilter {
  callerId?: string;
  jobId?: string;
  kind?: AuditKind;
  /** The x-ms-correlation-request-id an activity-log entry shows. */
  correlationId?: string;
  operation?: string;
  /** Records at this ARM scope or below it (case-insensitive). */
  scope?: string;
  decision?: "allow" | "deny";
  /** ISO timestamps bounding `time`. */
  since?: string;
  until?: string;
  limit: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

export interface AuditPage {
  records: AuditRecord[];
  nextCursor: string | undefined;
}

/** The `callerId` and `onBehalfOf` of a job's audit records. */
export function auditActor(caller: Caller): Pick<AuditRecord, "callerId" | "onBehalfOf"> {
  const onBehalfOf = describeOnBehalfOf(caller.onBehalfOf);
  return { callerId: caller.id, ...(onBehalfOf ? { onBehalfOf } : {}) };
}
