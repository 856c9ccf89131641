// The audit log's store contract; each job store engine implements it beside its jobs.
import type { AuditFilter, AuditPage, AuditRecord } from "./record.ts";

export interface AuditStore {
  appendAudit(records: readonly AuditRecord[]): Promise<void>;
  /** Newest first. */
  queryAudit(filter: AuditFilter): Promise<AuditPage>;
  /** Deletes audit records older than `before` (retention); resolves with how many. */
  purgeAudit(before: Date): Promise<number>;
}
