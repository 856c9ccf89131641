// The common tail of every ingress adapter: authorize each operation request, audit the decisions,
// then store the requests as jobs with the trace context that accepted them.
import type { Caller } from "../callers/caller.ts";
import { BridgeError } from "../http/errors.ts";
import type { AuditRecord } from "../jobs/audit.ts";
import type { JobDraft } from "../jobs/job.ts";
import type { AcceptResult, JobStore } from "../jobs/store.ts";
import type { Authorizer } from "../policy/authorize.ts";
import type { OperationRequest } from "../routes/router.ts";
import { annotateRequest, callerAttribution, onBehalfOf } from "../telemetry/attribution.ts";
import { acceptingTrace } from "../telemetry/job-spans.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { BridgeMetrics } from "../telemetry/metrics.ts";

export interface AcceptDeps {
  store: JobStore;
  authorize: Authorizer;
  logger: Logger;
  metrics: BridgeMetrics;
  /** This process's telemetry instance: its jobs' spans are parented to the request that accepted them. */
  instanceId: string;
  /** Told after new jobs were stored, so a worker can start at once. */
  onAccepted: () => void;
}

export interface Submission {
  caller: Caller;
  requests: readonly OperationRequest[];
  requestId: string;
  /** The delivery's idempotency key (e.g. `hook:deploy:<X-GitHub-Delivery>`); each action gets its own. */
  idempotencyKey: string | undefined;
  /** The trace context an event carried itself; preferred over the HTTP request's as the jobs' parent. */
  traceparent?: string;
}

/** All or nothing: one refused operation refuses the whole submission, and nothing is stored. */
export async function accept(deps: AcceptDeps, s: Submission): Promise<AcceptResult> {
  const actor = onBehalfOf(s.caller);
  annotateRequest({
    // The caller again: an adapter may have learned more of it from the payload (a repository's name).
    ...callerAttribution(s.caller),
    routeIds: [...new Set(s.requests.map((r) => r.routeId))],
    operations: [...new Set(s.requests.map((r) => r.operation))],
    scopes: [...new Set(s.requests.map((r) => r.scope.path))],
  });
  const refusals: string[] = [];
  const decisions: AuditRecord[] = [];
  for (const request of s.requests) {
    const decision = deps.authorize(s.caller.id, request.operation, request.scope);
    const verdict = decision.allowed ? "allow" : "deny";
    deps.logger.info(
      {
        requestId: s.requestId,
        callerId: s.caller.id,
        operation: request.operation,
        scope: request.scope.path,
        decision: verdict,
        ...(decision.allowed ? {} : { reason: decision.reason }),
      },
      "policy decision",
    );
    decisions.push({
      time: new Date().toISOString(),
      requestId: s.requestId,
      callerId: s.caller.id,
      ...(actor ? { onBehalfOf: actor } : {}),
      routeId: request.routeId,
      operation: request.operation,
      scope: request.scope.path,
      kind: "decision",
      decision: verdict,
      ...(decision.allowed ? {} : { reason: decision.reason }),
    });
    if (!decision.allowed) refusals.push(decision.reason);
  }
  if (refusals.length > 0) {
    await deps.store.appendAudit(decisions).catch((err) => {
      deps.logger.error({ err, requestId: s.requestId }, "could not audit a refusal");
    });
    deps.metrics.events("refused", 1, { stage: "policy" });
    throw new BridgeError("forbidden", refusals[0] as string, { extensions: { reasons: refusals } });
  }
  const trace = acceptingTrace(deps.instanceId, s.traceparent);
  const drafts: JobDraft[] = s.requests.map((r) => ({
    idempotencyKey: s.idempotencyKey ? `${s.idempotencyKey}#${r.routeId}/${r.actionIndex}` : undefined,
    requestId: s.requestId,
    caller: s.caller,
    routeId: r.routeId,
    actionIndex: r.actionIndex,
    operation: r.operation,
    params: r.params,
    scope: r.scope.path,
    trace,
  }));
  let result: AcceptResult;
  try {
    // The decisions and the jobs share the store's next commit: no job exists without its decision.
    const [, accepted] = await Promise.all([deps.store.appendAudit(decisions), deps.store.accept(drafts)]);
    result = accepted;
  } catch (err) {
    deps.logger.error({ err, requestId: s.requestId }, "job store refused the submission");
    throw new BridgeError("unavailable", "the job store is unavailable; nothing was accepted, retry later", {
      retryAfterSeconds: 5,
      cause: err,
    });
  }
  const created = result.jobs.filter((_, i) => result.created[i]);
  deps.metrics.events(created.length > 0 ? "accepted" : "duplicate", 1);
  for (const job of created) deps.metrics.job("accepted", job.operation);
  if (created.length > 0) deps.onAccepted();
  return result;
}
