// The public views of jobs in the contract: a job, the answer of an accepting endpoint, a page of jobs.
import { z } from "@hono/zod-openapi";
import { JOB_STATES, type JobState } from "../jobs/job.ts";
import { CALLER_KINDS } from "../kernel/caller.ts";

const OnBehalfOfSchema = z
  .object({
    id: z.string().describe("The principal's stable id: the Entra object id, or the CloudEvents `authid`"),
    name: z.string().optional(),
    kind: z.string().describe("`entra-principal`, or a CloudEvents `authtype`"),
    source: z.enum(["data.claims", "data.authorization", "authcontext"]).describe("Where it was read"),
    appId: z.string().optional(),
    claim: z
      .enum(["oid", "upn", "name", "appid"])
      .optional()
      .describe(
        "Which claim of `data.claims` the id is: the object id, or (without one) the UPN, name or application id",
      ),
  })
  .openapi("OnBehalfOf", {
    description: "The original actor an event names (asserted by the event, trusted as far as its deliverer)",
  });

const EXAMPLE_JOB_ID = "0b5e0c3e-7e0c-4a4e-9a56-4f6f2b8c9d10";

const JobProgressSchema = z
  .object({
    operations: z.array(
      z.object({
        resourceId: z.string().optional(),
        resourceType: z.string().optional(),
        resourceName: z.string().optional(),
        provisioningState: z.string().describe("As ARM reports it: `Running`, `Succeeded`, `Failed`, …"),
        statusCode: z.string().optional(),
        statusMessage: z.string().optional().describe("ARM's error of a failed resource operation"),
      }),
    ),
  })
  .describe(
    "While a deployment runs (`GET /v1/jobs/{id}` only): its resource operations, read from ARM as it runs",
  )
  .openapi("JobProgress");

export const JobSchema = z
  .object({
    id: z.uuid().describe("The job id; also `x-ms-client-request-id` on every ARM request of the job"),
    state: z.enum(JOB_STATES as [JobState, ...JobState[]]),
    operation: z.string().describe("The catalog operation, e.g. `resourceGroup.ensure`"),
    scope: z.string().describe("The ARM scope the operation acts on, canonical"),
    caller: z.object({
      id: z.string(),
      kind: z.enum(CALLER_KINDS),
      subject: z.string(),
      onBehalfOf: OnBehalfOfSchema.optional(),
    }),
    routeId: z.string().nullable().describe("The route that made the job; `api` for the direct API"),
    attempts: z.int(),
    correlationId: z
      .uuid()
      .describe("Sent to ARM as `x-ms-correlation-request-id`: find the calls in the activity log"),
    createdAt: z.iso.datetime({ offset: true }),
    updatedAt: z.iso.datetime({ offset: true }),
    finishedAt: z.iso.datetime({ offset: true }).nullable(),
    result: z
      .unknown()
      .describe("The operation's result once succeeded (e.g. the resource group), else null"),
    error: z
      .object({
        code: z.string().describe("ARM's code (`ResourceGroupNotFound`) or armbridge's (`TokenUnavailable`)"),
        message: z.string(),
        status: z.int().optional(),
        details: z.unknown().optional(),
      })
      .nullable(),
    links: z.object({ self: z.string().describe("This job's status URL") }),
    progress: JobProgressSchema.optional(),
  })
  .openapi("Job", {
    example: {
      id: EXAMPLE_JOB_ID,
      state: "succeeded",
      operation: "resourceGroup.ensure",
      scope: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/app-web",
      caller: { id: "deployer", kind: "api-key", subject: "deployer" },
      routeId: "api",
      attempts: 1,
      correlationId: "5d7c1f0a-2b3c-4d5e-8f90-a1b2c3d4e5f6",
      createdAt: "2025-06-01T10:00:00.000Z",
      updatedAt: "2025-06-01T10:00:01.250Z",
      finishedAt: "2025-06-01T10:00:01.250Z",
      result: {
        id: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/app-web",
        name: "app-web",
        location: "westeurope",
        tags: {},
        provisioningState: "Succeeded",
      },
      error: null,
      links: { self: `/v1/jobs/${EXAMPLE_JOB_ID}` },
    },
  });

export type JobViewData = z.infer<typeof JobSchema>;

export const AcceptedSchema = z
  .object({
    jobs: z.array(JobSchema),
    replayed: z.boolean().optional().describe("True when a repeated delivery id or Idempotency-Key answered"),
    message: z.string().optional().describe("Why no job was made (an event no route wants)"),
  })
  .openapi("Accepted", {
    description: "Jobs made (or found again) for one request, in the order of its actions",
  });

/** The body of an accepting endpoint's 200 and 202. */
export const acceptedContent = { "application/json": { schema: AcceptedSchema } };

export const JobPageSchema = z
  .object({
    jobs: z.array(JobSchema),
    links: z.object({ next: z.string().nullable().describe("The next page, or null on the last") }),
  })
  .openapi("JobPage");

export const PreferHeader = z.string().optional().openapi({
  description:
    "RFC 7240 `wait=N` (seconds, at most 60): answer when the jobs finished or N seconds passed; echoed in `Preference-Applied`",
  example: "wait=10",
});

export const acceptedHeaders = z.object({
  Location: z
    .string()
    .openapi({ description: "The first job's status URL", example: `/v1/jobs/${EXAMPLE_JOB_ID}` }),
});
