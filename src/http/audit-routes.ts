// GET /v1/audit, for operators: who asked for what, what policy decided, which ARM calls were made
// (with the correlation id ARM writes into the activity log) and how each job ended.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AuditFilter } from "../audit/record.ts";
import type { OperatorConfig } from "../config/schema.ts";
import type { JobStore } from "../jobs/store.ts";
import { AppError } from "../kernel/errors.ts";
import { requireOperator } from "./operator-auth.ts";
import { problemResponses } from "./problem-docs.ts";
import { OPERATOR_SECURITY } from "./security-docs.ts";

const text = z.string().min(1).max(256);

const auditQuery = z.strictObject({
  correlationId: text.optional().describe("The x-ms-correlation-request-id an activity-log entry shows"),
  caller: z.string().min(1).max(63).optional().describe("A caller id"),
  jobId: text.optional().openapi({ format: "uuid" }),
  operation: text
    .optional()
    .describe("An operation name, or `authenticate` / `rate-limit` for refusals before one"),
  scope: z.string().startsWith("/").max(1024).optional().describe("Records at this ARM scope or below it"),
  decision: z.enum(["allow", "deny"]).optional(),
  kind: z.enum(["decision", "arm-call", "job"]).optional(),
  since: z.iso.datetime({ offset: true }).optional().describe("Records at or after this time"),
  until: z.iso.datetime({ offset: true }).optional().describe("Records before this time"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(512).optional().describe("From the previous page's `links.next`"),
});

const AuditRecordSchema = z
  .object({
    time: z.iso.datetime(),
    requestId: z.string().describe("The HTTP request that made the decision or accepted the job"),
    callerId: z.string().describe("The caller; `(unknown)` for a credential that matched no single caller"),
    onBehalfOf: z.string().optional().describe("The original actor an event named"),
    routeId: z.string().optional(),
    operation: z.string(),
    scope: z.string().describe("The ARM scope; empty for refusals before one was known"),
    kind: z.enum(["decision", "arm-call", "job"]),
    decision: z.enum(["allow", "deny"]).optional(),
    reason: z.string().optional(),
    outcome: z
      .string()
      .optional()
      .describe(
        "job: its terminal state or `requeued`; arm-call: method and path; decision: the refused request",
      ),
    jobId: z.string().optional(),
    correlationId: z
      .string()
      .optional()
      .describe("The x-ms-correlation-request-id ARM writes into the activity log"),
    armRequestId: z.string().optional().describe("ARM's x-ms-request-id"),
    status: z.number().int().optional(),
  })
  .openapi("AuditRecord");

const AuditPageSchema = z
  .object({
    records: z.array(AuditRecordSchema),
    links: z.object({ next: z.string().nullable().describe("The next page, or null on the last") }),
  })
  .openapi("AuditPage");

const listAudit = createRoute({
  method: "get",
  path: "/v1/audit",
  operationId: "listAudit",
  tags: ["Operators"],
  summary: "The audit log newest first, filtered, page by page",
  description:
    "Policy decisions and authentication refusals, every ARM request a job made (with ARM's x-ms-request-id) and each job's end. `correlationId` finds the caller behind an activity-log entry of the managed identity.",
  security: OPERATOR_SECURITY,
  request: { query: auditQuery },
  responses: {
    200: {
      description: "One page of audit records",
      content: { "application/json": { schema: AuditPageSchema } },
    },
    ...problemResponses("bad_request", "unauthenticated"),
  },
});

export interface AuditRouteDeps {
  store: JobStore;
  operators: readonly OperatorConfig[];
}

export function registerAuditRoutes(app: OpenAPIHono, { store, operators }: AuditRouteDeps): void {
  app.openapi({ ...listAudit, middleware: [requireOperator(operators)] }, async (c) => {
    const { caller, jobId, limit, cursor, ...rest } = c.req.valid("query");
    const filter: AuditFilter = {
      ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
      ...(caller ? { callerId: caller } : {}),
      ...(jobId ? { jobId: jobId.toLowerCase() } : {}),
      ...(cursor ? { cursor } : {}),
      limit,
    };
    try {
      const page = await store.queryAudit(filter);
      const next = page.nextCursor
        ? `/v1/audit?${new URLSearchParams({ ...c.req.query(), cursor: page.nextCursor })}`
        : null;
      return c.json({ records: page.records, links: { next } }, 200);
    } catch (err) {
      if (err instanceof RangeError)
        throw new AppError("bad_request", "query cursor: not a cursor of this list");
      throw err;
    }
  });
}
