// The common tail of every ingress adapter: authorize each operation request, then store them as jobs.
import type { Caller } from "../callers/caller.ts";
import { BridgeError } from "../http/errors.ts";
import type { JobDraft } from "../jobs/job.ts";
import type { AcceptResult, JobStore } from "../jobs/store.ts";
import type { OperationRequest } from "../operations/request.ts";
import type { Authorizer } from "../policy/authorize.ts";
import type { Logger } from "../telemetry/logger.ts";

export interface AcceptDeps {
  store: JobStore;
  authorize: Authorizer;
  logger: Logger;
  /** Told after new jobs were stored, so a worker can start at once. */
  onAccepted: () => void;
}

export interface Submission {
  caller: Caller;
  requests: readonly OperationRequest[];
  requestId: string;
  /** The delivery's idempotency key (e.g. `hook:deploy:<X-GitHub-Delivery>`); each action gets its own. */
  idempotencyKey: string | undefined;
}

/** All or nothing: one refused operation refuses the whole submission, and nothing is stored. */
export async function accept(deps: AcceptDeps, s: Submission): Promise<AcceptResult> {
  const refusals: string[] = [];
  for (const request of s.requests) {
    const decision = deps.authorize(s.caller.id, request.operation, request.scope, request.action);
    deps.logger.info(
      {
        requestId: s.requestId,
        callerId: s.caller.id,
        operation: request.operation,
        scope: request.scope.path,
        decision: decision.allowed ? "allow" : "deny",
        ...(decision.allowed ? {} : { reason: decision.reason }),
      },
      "policy decision",
    );
    if (!decision.allowed) refusals.push(decision.reason);
  }
  if (refusals.length > 0) {
    throw new BridgeError("forbidden", refusals[0] as string, { extensions: { reasons: refusals } });
  }
  const drafts: JobDraft[] = s.requests.map((r) => ({
    idempotencyKey: s.idempotencyKey ? `${s.idempotencyKey}#${r.routeId}/${r.actionIndex}` : undefined,
    requestId: s.requestId,
    caller: s.caller,
    routeId: r.routeId,
    actionIndex: r.actionIndex,
    operation: r.operation,
    params: r.params,
    scope: r.scope.path,
    ...(r.after ? { after: r.after } : {}),
  }));
  let result: AcceptResult;
  try {
    result = await deps.store.accept(drafts);
  } catch (err) {
    deps.logger.error({ err, requestId: s.requestId }, "job store refused the submission");
    throw new BridgeError("unavailable", "the job store is unavailable; nothing was accepted, retry later", {
      retryAfterSeconds: 5,
      cause: err,
    });
  }
  if (result.created.some(Boolean)) deps.onAccepted();
  return result;
}
