// POST /v1/operations/{operation}: one typed operation, called directly by a service. The same caller
// authentication, grants and job store as the other entry points; `Idempotency-Key` maps to one job.
import { isDeepStrictEqual } from "node:util";
import type { Hono } from "hono";
import type { CallerGate } from "../http/caller-gate.ts";
import { BridgeError } from "../http/errors.ts";
import { acceptedResponse } from "../http/jobs-routes.ts";
import type { JobWaiter } from "../jobs/waiter.ts";
import { findOperation } from "../operations/catalog.ts";
import { prepareRequest } from "../operations/request.ts";
import { type AcceptDeps, accept } from "./accept.ts";
import { parseJsonBody } from "./json-body.ts";

export interface ApiDeps extends AcceptDeps {
  gate: CallerGate;
  /** Every configured caller may call the API; its grants decide what it may do. */
  callerIds: readonly string[];
  waiter: JobWaiter;
}

export function registerApiRoutes(app: Hono, deps: ApiDeps): void {
  app.post("/v1/operations/:operation", async (c) => {
    const name = c.req.param("operation");
    if (!findOperation(name)) throw new BridgeError("not_found", `no operation '${name}' in the catalog`);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const { caller, deliveryId } = await deps.gate(c, deps.callerIds, body);
    const params = parseJsonBody(body, c.req.header("content-type"));

    const prepared = prepareRequest(name, params, { routeId: "api", actionIndex: 0 }, "body");
    if (!prepared.ok) {
      throw new BridgeError("invalid_parameters", `the body is not valid input for '${name}'`, {
        extensions: { errors: prepared.problems },
      });
    }
    const result = await accept(deps, {
      caller,
      requests: [prepared.request],
      requestId: c.get("requestId"),
      idempotencyKey: deliveryId ? `api:${caller.id}:${name}:${deliveryId}` : undefined,
    });
    const [job] = result.jobs;
    if (job && !result.created[0] && !isDeepStrictEqual(job.params, prepared.request.params)) {
      // The same key with another request is a client bug; answering with the old job would hide it.
      throw new BridgeError("conflict", "this Idempotency-Key was used with a different request", {
        extensions: { jobId: job.id },
      });
    }
    return acceptedResponse(c, result, deps.waiter);
  });
}
