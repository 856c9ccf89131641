// GET /v1/audit, for operators: who asked for what, what policy decided, which ARM calls were made
// (with the correlation id ARM writes into the activity log) and how each job ended.
import type { Hono } from "hono";
import { z } from "zod";
import type { OperatorConfig } from "../config/schema.ts";
import type { AuditFilter } from "../jobs/audit.ts";
import type { JobStore } from "../jobs/store.ts";
import { requireOperator } from "./operator-auth.ts";
import { nextLink, pageOrBadCursor, parseQuery } from "./query.ts";

const text = z.string().min(1).max(256);

const auditQuery = z.strictObject({
  correlationId: text.optional(),
  caller: z.string().min(1).max(63).optional(),
  jobId: text.optional(),
  operation: text.optional(),
  scope: z.string().startsWith("/").max(1024).optional(),
  decision: z.enum(["allow", "deny"]).optional(),
  kind: z.enum(["decision", "arm-call", "job"]).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(512).optional(),
});

export interface AuditRouteDeps {
  store: JobStore;
  operators: readonly OperatorConfig[];
}

export function registerAuditRoutes(app: Hono, { store, operators }: AuditRouteDeps): void {
  app.get("/v1/audit", requireOperator(operators), async (c) => {
    const { caller, jobId, limit, ...rest } = parseQuery(auditQuery, c);
    const filter: AuditFilter = {
      ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
      ...(caller ? { callerId: caller } : {}),
      ...(jobId ? { jobId: jobId.toLowerCase() } : {}),
      limit,
    };
    const page = await pageOrBadCursor(() => store.queryAudit(filter));
    return c.json({ records: page.records, links: { next: nextLink(c, page.nextCursor) } });
  });
}
