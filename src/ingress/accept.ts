// The common tail of every ingress adapter: authorize each operation request, audit the decisions,
// then store the requests as jobs with the trace context that accepted them.

import type { AuditRecord } from "../audit/record.ts";
import { type JobDraft, ROUTE_EVENT, type RouteEventParams } from "../jobs/job.ts";
import { acceptingTrace } from "../jobs/job-spans.ts";
import type { AcceptResult, JobStore } from "../jobs/store.ts";
import { type Caller, describeOnBehalfOf } from "../kernel/caller.ts";
import { AppError } from "../kernel/errors.ts";
import type { OperationRequest } from "../operations/request.ts";
import type { Authorizer } from "../policy/authorize.ts";
import { annotateRequest, callerAttribution } from "../telemetry/attribution.ts";
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
  /** W3C trace context the jobs continue (the delivery's `traceparent`, or the event's own). */
  traceparent?: string;
  /**
   * An event of a batch that cannot become allowed operations: stored as one ROUTE_EVENT job (with
   * `requests` empty), which the worker ends `dead` with this reason until the config is fixed.
   */
  held?: { reason: string; params: RouteEventParams; scope: string };
}

/** How many drafts (and so jobs in the answer) a submission makes, in order. */
export const draftCount = (s: Submission): number => (s.held ? 1 : s.requests.length);

/** All or nothing: one refused operation refuses the whole submission, and nothing is stored. */
export function accept(deps: AcceptDeps, s: Submission): Promise<AcceptResult> {
  return acceptAll(deps, [s]);
}

/** Several submissions (the events of one batch) authorized together and stored in one transaction. */
export async function acceptAll(deps: AcceptDeps, submissions: readonly Submission[]): Promise<AcceptResult> {
  const first = submissions[0];
  if (first) {
    const routeIds = new Set<string>();
    const operations = new Set<string>();
    const scopes = new Set<string>();
    for (const s of submissions) {
      for (const r of s.requests) {
        routeIds.add(r.routeId);
        operations.add(r.operation);
        scopes.add(r.scope.path);
      }
    }
    annotateRequest({
      // The caller again: an adapter may have learned more of it from the payload (a repository's name).
      ...callerAttribution(first.caller),
      routeIds: [...routeIds],
      operations: [...operations],
      scopes: [...scopes],
    });
  }
  const refusals = new Set<string>();
  const audit: AuditRecord[] = [];
  // A refusal gets a log line per distinct decision, with its count: a batch of 5,000 alike events
  // logs a few lines. Allowed operations are named on the request's access line (annotateRequest
  // above) and each has its audit record, so an accepted delivery writes one line, not three.
  const time = new Date().toISOString();
  const refusalLines = new Map<string, { line: Record<string, unknown>; count: number }>();
  for (const s of submissions) {
    const onBehalfOf = describeOnBehalfOf(s.caller.onBehalfOf);
    if (s.held) {
      audit.push({
        time,
        requestId: s.requestId,
        callerId: s.caller.id,
        ...(onBehalfOf ? { onBehalfOf } : {}),
        operation: ROUTE_EVENT,
        scope: s.held.scope,
        kind: "decision",
        decision: "deny",
        reason: s.held.reason,
      });
    }
    for (const request of s.requests) {
      const decision = deps.authorize(s.caller.id, request.operation, request.scope, request.action);
      if (!decision.allowed) {
        refusals.add(decision.reason);
        const line = {
          requestId: s.requestId,
          callerId: s.caller.id,
          ...(onBehalfOf ? { onBehalfOf } : {}),
          operation: request.operation,
          scope: request.scope.path,
          decision: "deny",
          reason: decision.reason,
        };
        const key = JSON.stringify(line);
        const seen = refusalLines.get(key);
        if (seen) seen.count++;
        else refusalLines.set(key, { line, count: 1 });
      }
      audit.push({
        time,
        requestId: s.requestId,
        callerId: s.caller.id,
        ...(onBehalfOf ? { onBehalfOf } : {}),
        routeId: request.routeId,
        operation: request.operation,
        scope: request.scope.path,
        kind: "decision",
        decision: decision.allowed ? "allow" : "deny",
        ...(decision.allowed ? {} : { reason: decision.reason }),
      });
    }
  }
  for (const { line, count } of refusalLines.values()) {
    deps.logger.info(count > 1 ? { ...line, count } : line, "policy decision");
  }
  if (refusals.size > 0) {
    await deps.store.appendAudit(audit).catch((err) => {
      deps.logger.error({ err, requestId: first?.requestId }, "could not audit a refusal");
    });
    deps.metrics.events("refused", submissions.length, { stage: "policy" });
    const reasons = [...refusals];
    throw new AppError("forbidden", reasons[0] as string, { extensions: { reasons } });
  }
  const drafts: JobDraft[] = [];
  // Events without a traceparent of their own continue the request's trace: one object for all of
  // them (a 5,000-event batch would otherwise read and serialize the same context 5,000 times).
  let requestTrace: { trace: JobDraft["trace"] } | undefined;
  const traceOf = (s: Submission): JobDraft["trace"] => {
    if (s.traceparent) return acceptingTrace(deps.instanceId, s.traceparent);
    requestTrace ??= { trace: acceptingTrace(deps.instanceId) };
    return requestTrace.trace;
  };
  for (const s of submissions) {
    // `after` indexes a submission's own requests; in the combined list they start further on.
    const offset = drafts.length;
    const trace = traceOf(s);
    if (s.held) {
      drafts.push({
        idempotencyKey: s.idempotencyKey ? `${s.idempotencyKey}#held` : undefined,
        requestId: s.requestId,
        caller: s.caller,
        routeId: undefined,
        actionIndex: 0,
        operation: ROUTE_EVENT,
        params: s.held.params,
        scope: s.held.scope,
        ...(trace ? { trace } : {}),
      });
    }
    for (const r of s.requests) {
      drafts.push({
        idempotencyKey: s.idempotencyKey ? `${s.idempotencyKey}#${r.routeId}/${r.actionIndex}` : undefined,
        requestId: s.requestId,
        caller: s.caller,
        routeId: r.routeId,
        actionIndex: r.actionIndex,
        operation: r.operation,
        params: r.params,
        scope: r.scope.path,
        ...(r.after ? { after: r.after.map((i) => i + offset) } : {}),
        ...(trace ? { trace } : {}),
      });
    }
  }
  const requestId = submissions[0]?.requestId;
  let result: AcceptResult;
  try {
    // The decisions and the jobs share the store's next commit: no job exists without its decision.
    const [, accepted] = await Promise.all([deps.store.appendAudit(audit), deps.store.accept(drafts)]);
    result = accepted;
  } catch (err) {
    deps.logger.error({ err, requestId }, "job store refused the submission");
    throw new AppError("unavailable", "the job store is unavailable; nothing was accepted, retry later", {
      retryAfterSeconds: 5,
      cause: err,
    });
  }
  // An event is a duplicate when none of its jobs is new; its drafts follow each other in the list.
  // Counted per outcome, one metric call each (a batch is thousands of events).
  const outcomes = { accepted: 0, duplicate: 0, refused: 0 };
  let at = 0;
  for (const s of submissions) {
    const end = at + draftCount(s);
    let fresh = false;
    for (; at < end; at++) fresh ||= result.created[at] === true;
    outcomes[s.held ? "refused" : fresh ? "accepted" : "duplicate"]++;
  }
  for (const [outcome, count] of Object.entries(outcomes) as [keyof typeof outcomes, number][]) {
    if (count > 0) deps.metrics.events(outcome, count);
  }
  const created = result.jobs.filter((_, i) => result.created[i]);
  for (const job of created) deps.metrics.job("accepted", job.operation);
  if (created.length > 0) deps.onAccepted();
  return result;
}
