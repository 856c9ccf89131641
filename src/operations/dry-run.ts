// The answer of a write run with `dryRun: true` where ARM has no validate or what-if for it.

export interface PlannedRequest {
  method: "PUT" | "PATCH" | "DELETE" | "POST";
  path: string;
  apiVersion?: string;
  body?: unknown;
}

/** The job was authorized (it would not exist otherwise); this is the request that would be sent. */
export function plannedRequest(request: PlannedRequest): {
  dryRun: true;
  decision: "allowed";
  request: PlannedRequest;
} {
  return { dryRun: true, decision: "allowed", request };
}
