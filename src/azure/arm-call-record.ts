// The audit record of one ARM request a job made, from what the client pipeline observed.
import type { AuditRecord } from "../audit/record.ts";
import type { ArmCall } from "./arm-clients.ts";

/** The audit record of one ARM request a job made; none for requests outside a job. */
export function armCallRecord(call: ArmCall): AuditRecord | undefined {
  const a = call.attribution;
  if (!a) return undefined;
  return {
    time: new Date().toISOString(),
    requestId: a.requestId,
    callerId: a.callerId,
    ...(a.onBehalfOf ? { onBehalfOf: a.onBehalfOf } : {}),
    ...(a.routeId ? { routeId: a.routeId } : {}),
    operation: a.operation,
    scope: a.scope,
    kind: "arm-call",
    outcome: `${call.method} ${call.path}`,
    ...(call.errorCode ? { reason: call.errorCode } : {}),
    jobId: a.jobId,
    correlationId: a.correlationId,
    ...(call.armRequestId ? { armRequestId: call.armRequestId } : {}),
    ...(call.status !== undefined ? { status: call.status } : {}),
  };
}
