// POST /v1/operations/{operation}: one typed operation, called directly by a service. The same caller
// authentication, grants and job store as the other entry points; `Idempotency-Key` maps to one job.
import { isDeepStrictEqual } from "node:util";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { CallerGate } from "../http/caller-gate.ts";
import { acceptedContent, acceptedHeaders, PreferHeader } from "../http/job-schemas.ts";
import { problemResponses } from "../http/problem-docs.ts";
import { acceptedResponse } from "../http/responses.ts";
import { CALLER_SECURITY } from "../http/security-docs.ts";
import type { JobWaiter } from "../jobs/waiter.ts";
import { AppError } from "../kernel/errors.ts";
import { catalog, findOperation } from "../operations/catalog.ts";
import type { OperationDefinition } from "../operations/operation.ts";
import { prepareRequest } from "../operations/request.ts";
import { type AcceptDeps, accept } from "./accept.ts";
import type { Preflight } from "./deployment-preflight.ts";
import { parseJsonBody } from "./json-body.ts";

export interface ApiDeps extends AcceptDeps {
  gate: CallerGate;
  /** Checks an operation (a deployment's what-if against the grants) before it is accepted. */
  preflight: Preflight;
  /** Every configured caller may call the API; its grants decide what it may do. */
  callerIds: readonly string[];
  waiter: JobWaiter;
}

/** `resourceGroup.ensure` -> `ResourceGroupEnsure`: component and operation names in the document. */
const pascal = (name: string) =>
  name
    .split(".")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");

/**
 * Each operation's input as a named schema of the document. Made once: zod's registry refuses an id
 * twice. `.meta` rather than `.openapi`, which exists only on schemas made after zod-openapi loaded.
 */
const inputSchemas = new Map(
  catalog.map((op) => [op.name, op.input.meta({ id: `${pascal(op.name)}Input` })]),
);

/**
 * One documented path per operation of the catalog, whose body is the operation's own input schema.
 * Documented only: the caller's credential may sign the raw body, so the handler reads it itself.
 */
function operationRoute(op: OperationDefinition) {
  const path = `/v1/operations/${op.name}`;
  const actions = op.actions.map((a) => `\`${a}\``).join(", ");
  return createRoute({
    method: "post",
    path,
    operationId: `run${pascal(op.name)}`,
    tags: ["Operations"],
    summary: op.summary,
    description: `Runs \`${op.name}\` as a job under armbridge's managed identity, if one of the caller's grants allows it on the operation's scope. The identity needs ${actions}.`,
    security: CALLER_SECURITY,
    request: {
      headers: z.object({
        "Idempotency-Key": z.string().optional().openapi({
          description:
            "Maps to one job per caller and operation: a repeat answers with that job (`replayed`); reuse with another body answers 409",
          example: "release-42",
        }),
        Prefer: PreferHeader,
      }),
      body: {
        required: true,
        content: {
          "application/json": {
            schema: inputSchemas.get(op.name),
            example: op.example,
          },
        },
      },
    },
    responses: {
      202: { description: "The job was accepted", headers: acceptedHeaders, content: acceptedContent },
      200: {
        description: "A repeated Idempotency-Key (`replayed`), or with `Prefer: wait` the finished job",
        content: acceptedContent,
      },
      ...problemResponses(
        "malformed_json",
        "invalid_parameters",
        "unauthenticated",
        "bad_signature",
        "forbidden",
        "conflict",
        "payload_too_large",
        "unsupported_media_type",
        "rate_limited",
        "unavailable",
      ),
    },
  });
}

export function registerApiRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  for (const op of catalog) app.openAPIRegistry.registerPath(operationRoute(op));
  app.post("/v1/operations/:operation", async (c) => {
    const name = c.req.param("operation");
    if (!findOperation(name)) throw new AppError("not_found", `no operation '${name}' in the catalog`);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const { caller, deliveryId } = await deps.gate(c, deps.callerIds, body);
    const params = parseJsonBody(body, c.req.header("content-type"));

    const prepared = prepareRequest(name, params, { routeId: "api", actionIndex: 0 }, "body");
    if (!prepared.ok) {
      throw new AppError("invalid_parameters", `the body is not valid input for '${name}'`, {
        extensions: { errors: prepared.problems },
      });
    }
    const { request } = prepared;
    // Only a request the grants allow on its own scope is worth a look at what it would change.
    if (deps.authorize(caller.id, request.operation, request.scope, request.action).allowed) {
      await deps.preflight(caller, findOperation(name) as OperationDefinition, request, c.get("requestId"));
    }
    const result = await accept(deps, {
      caller,
      requests: [request],
      requestId: c.get("requestId"),
      idempotencyKey: deliveryId ? `api:${caller.id}:${name}:${deliveryId}` : undefined,
    });
    const [job] = result.jobs;
    if (job && !result.created[0] && !isDeepStrictEqual(job.params, prepared.request.params)) {
      // The same key with another request is a client bug; answering with the old job would hide it.
      throw new AppError("conflict", "this Idempotency-Key was used with a different request", {
        extensions: { jobId: job.id },
      });
    }
    return acceptedResponse(c, result, deps.waiter);
  });
}
