// The error model in the OpenAPI document: the problem+json schema with every code, and the error
// responses of one endpoint, each status narrowed to the codes it can carry, with an example of each.
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { BridgeError, ERROR_CODES, type ErrorCode, problemOf } from "./errors.ts";

export const ProblemSchema = z
  .looseObject({
    type: z.string().openapi({ example: "urn:armbridge:problem:forbidden" }),
    title: z.string(),
    status: z.int(),
    detail: z.string().describe("What went wrong, for a person; never secrets or other callers' settings"),
    code: z.enum(ERROR_CODES).describe("Stable machine-readable code"),
    instance: z.string().describe("The request path"),
    requestId: z.string().describe("Also in the X-Request-Id response header and in the request's log lines"),
    errors: z.array(z.string()).optional().describe("invalid_parameters: one line per invalid field"),
    reasons: z
      .array(z.string())
      .optional()
      .describe("forbidden: why each refused operation (or each change of a deployment) was refused"),
    resources: z
      .array(z.string())
      .optional()
      .describe("forbidden: the resources a template deployment would change outside the caller's grants"),
    arm: z
      .looseObject({ code: z.string(), message: z.string(), details: z.unknown().optional() })
      .optional()
      .describe("forbidden: ARM's error when a deployment's what-if failed (an invalid template)"),
    jobId: z.string().optional().describe("conflict: the job an Idempotency-Key already maps to"),
    limitBytes: z.int().optional().describe("payload_too_large: the body limit"),
  })
  .openapi("Problem", { description: "An RFC 9457 problem (application/problem+json)" });

/** One believable problem per code, for the document's examples. */
const examples: Record<
  ErrorCode,
  { instance?: string; detail: string; extensions?: Record<string, unknown> }
> = {
  bad_request: {
    instance: "/hooks/deploy",
    detail: "the body must name its event in a top-level string 'type'",
  },
  malformed_json: { detail: "the body is not valid JSON: Unexpected end of JSON input" },
  invalid_parameters: {
    detail: "the body is not valid input for 'resourceGroup.ensure'",
    extensions: { errors: ["body.location: must be an Azure region name"] },
  },
  unauthenticated: { detail: "no credential of an allowed caller was presented" },
  bad_signature: { instance: "/hooks/deploy", detail: "X-Hub-Signature-256 does not match the body" },
  forbidden: {
    detail: "no grant allows 'resourceGroup.ensure' on /subscriptions/…/resourceGroups/prod-web",
    extensions: {
      reasons: ["no grant allows 'resourceGroup.ensure' on /subscriptions/…/resourceGroups/prod-web"],
    },
  },
  not_found: { instance: "/v1/nothing", detail: "no route for GET /v1/nothing" },
  unknown_hook: { instance: "/hooks/deploy", detail: "no hook 'deploy' is configured" },
  unknown_source: { instance: "/events/azure", detail: "no event source 'azure' is configured" },
  job_not_found: {
    instance: "/v1/jobs/0b5e0c3e-7e0c-4a4e-9a56-4f6f2b8c9d10",
    detail: "no job with id '0b5e0c3e-7e0c-4a4e-9a56-4f6f2b8c9d10'",
  },
  method_not_allowed: { detail: "GET is not allowed here" },
  conflict: {
    detail: "this Idempotency-Key was used with a different request",
    extensions: { jobId: "0b5e0c3e-7e0c-4a4e-9a56-4f6f2b8c9d10" },
  },
  payload_too_large: {
    detail: "the request body exceeds 1048576 bytes",
    extensions: { limitBytes: 1048576 },
  },
  unsupported_media_type: { detail: "content type 'text/plain' is not JSON" },
  rate_limited: { detail: "caller 'deployer' is over its rate limit" },
  internal: { detail: "an internal error occurred; quote the request id when reporting it" },
  unavailable: { detail: "the job store is unavailable; nothing was accepted, retry later" },
};

const exampleName = (code: ErrorCode) => `problem-${code}`;

/** Registers one example problem per code under `components.examples`, which every error response references. */
export function registerProblemExamples(registry: OpenAPIHono["openAPIRegistry"]): void {
  for (const code of ERROR_CODES) {
    const { instance, detail, extensions } = examples[code];
    const err = new BridgeError(code, detail, { extensions: extensions ?? {} });
    registry.registerComponent("examples", exampleName(code), {
      summary: problemOf(err, "", "").title,
      value: problemOf(
        err,
        instance ?? "/v1/operations/resourceGroup.ensure",
        "6f1c2a9e-3b7d-4c55-9a0e-1d2f3a4b5c6d",
      ),
    });
  }
}

const retryAfter = z.object({
  "Retry-After": z.string().openapi({ description: "Seconds after which a retry may succeed", example: "5" }),
});

/**
 * The problem responses of an endpoint that can answer the given codes (`internal` is always added),
 * keyed by status; a status's schema lists exactly the codes it may carry.
 */
export function problemResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set<ErrorCode>([...codes, "internal"])) {
    const status = new BridgeError(code, "").status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      String(status),
      {
        description: `Problem: ${group.map((c) => `\`${c}\``).join(", ")}`,
        ...(status === 429 || status === 503 ? { headers: retryAfter } : {}),
        content: {
          "application/problem+json": {
            schema: ProblemSchema.extend({ code: z.enum(group as [ErrorCode, ...ErrorCode[]]) }),
            examples: Object.fromEntries(
              group.map((code) => [code, { $ref: `#/components/examples/${exampleName(code)}` }]),
            ),
          },
        },
      },
    ]),
  );
}
