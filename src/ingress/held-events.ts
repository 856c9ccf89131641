// Routes a held event again (a ROUTE_EVENT job, see jobs/job.ts) with the config of this process: the
// same router, policy and accept step as its delivery, so the jobs it makes are the ones the event
// would have made at once, under the same idempotency keys.
import type { Config } from "../config/schema.ts";
import type { Job, JobError, RouteEventParams } from "../jobs/job.ts";
import { isAppError } from "../kernel/errors.ts";
import { createAuthorizer } from "../policy/authorize.ts";
import type { BridgeEvent } from "../triggers/event.ts";
import { createRouter, type EntryPoint } from "../triggers/router.ts";
import { type AcceptDeps, acceptAll } from "./accept.ts";

export function routeHeldEvent(config: Config, deps: Omit<AcceptDeps, "authorize">) {
  const route = createRouter(config.routes);
  const accepting: AcceptDeps = { ...deps, authorize: createAuthorizer(config.grants) };
  return async (job: Job): Promise<{ ok: true; jobs: string[] } | { ok: false; error: JobError }> => {
    const { entry, event, idempotencyKey } = job.params as RouteEventParams;
    try {
      const requests = route(entry as EntryPoint, event as BridgeEvent, job.caller);
      if (requests.length === 0) return { ok: true, jobs: [] };
      const bridgeEvent = event as BridgeEvent;
      const result = await acceptAll(accepting, [
        {
          caller: job.caller,
          requests,
          requestId: job.requestId,
          idempotencyKey,
          ...(bridgeEvent.traceparent ? { traceparent: bridgeEvent.traceparent } : {}),
        },
      ]);
      return { ok: true, jobs: result.jobs.map((j) => j.id) };
    } catch (err) {
      if (!isAppError(err) || (err.code !== "invalid_parameters" && err.code !== "forbidden")) throw err;
      const errors = err.extensions.errors ?? err.extensions.reasons;
      return {
        ok: false,
        error: {
          code: err.code === "forbidden" ? "Forbidden" : "InvalidParameters",
          message: err.detail,
          ...(errors !== undefined ? { details: errors } : {}),
        },
      };
    }
  };
}
