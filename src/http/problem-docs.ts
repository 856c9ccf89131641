// The error model in the OpenAPI document: the problem+json schema with every code, one named response
// per status narrowed to its codes with an example of each, and an endpoint's references to them.
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { AppError, ERROR_CODES, type ErrorCode } from "../kernel/errors.ts";
import { codeToStatus, type ErrorStatus, problemOf } from "./errors.ts";

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

/** Registers one example problem per code under `components.examples`, which the problem responses reference. */
function registerProblemExamples(registry: OpenAPIHono["openAPIRegistry"]): void {
  for (const code of ERROR_CODES) {
    const { instance, detail, extensions } = examples[code];
    const err = new AppError(code, detail, { extensions: extensions ?? {} });
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

/** The named problem response of each status, in `components.responses`; an operation refers to it. */
const responseNames: Record<ErrorStatus, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
};

const statusOf = (code: ErrorCode): ErrorStatus => codeToStatus[code];
const listed = (codes: readonly ErrorCode[]) => codes.map((c) => `\`${c}\``).join(", ");

/**
 * Registers the Problem schema, an example per code and one problem response per status under
 * `components.responses`: its schema narrows `status` and `code` to that status and its codes.
 * Responses and examples no operation refers to are pruned with the document (see `renderDocument`).
 */
export function registerProblemComponents(registry: OpenAPIHono["openAPIRegistry"]): void {
  registry.register("Problem", ProblemSchema);
  registerProblemExamples(registry);
  const byStatus = Map.groupBy(ERROR_CODES, statusOf);
  for (const [status, group] of byStatus) {
    registry.registerComponent("responses", responseNames[status], {
      description: `Problem: ${listed(group)}`,
      ...(status === 429 || status === 503
        ? {
            headers: {
              "Retry-After": {
                required: true,
                description: "Seconds after which a retry may succeed",
                schema: { type: "string", example: "5" },
              },
            },
          }
        : {}),
      content: {
        "application/problem+json": {
          schema: {
            allOf: [
              { $ref: "#/components/schemas/Problem" },
              {
                type: "object",
                required: ["status", "code"],
                properties: { status: { const: status }, code: { enum: group } },
              },
            ],
          },
          examples: Object.fromEntries(
            group.map((code) => [code, { $ref: `#/components/examples/${exampleName(code)}` }]),
          ),
        },
      },
    });
  }
}

/**
 * The problem responses of an endpoint that can answer the given codes (`internal` is always added),
 * keyed by status: each a reference to the status's named response, whose description says which of
 * the status's codes this endpoint answers.
 */
export function problemResponses(...codes: ErrorCode[]) {
  const byStatus = Map.groupBy(new Set<ErrorCode>([...codes, "internal"]), statusOf);
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      String(status),
      { $ref: `#/components/responses/${responseNames[status]}`, description: `Problem: ${listed(group)}` },
    ]),
  );
}
