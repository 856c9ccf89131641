// The audit record a job leaves when it ends or is re-queued.
import { type AuditRecord, auditActor } from "../audit/record.ts";
import type { Job, JobError } from "./job.ts";

/** The audit record of a job's terminal state (or re-queue), with the error that ended it. */
export function jobRecord(job: Job, outcome: string, error?: JobError): AuditRecord {
  return {
    time: new Date().toISOString(),
    requestId: job.requestId,
    ...auditActor(job.caller),
    ...(job.routeId ? { routeId: job.routeId } : {}),
    operation: job.operation,
    scope: job.scope,
    kind: "job",
    outcome,
    jobId: job.id,
    correlationId: job.correlationId,
    ...(error ? { reason: `${error.code}: ${error.message}` } : {}),
    ...(error?.status ? { status: error.status } : {}),
  };
}
