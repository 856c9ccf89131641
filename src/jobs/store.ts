// The job store contract; the worker and the HTTP layer see only this, never the engine behind it.
import type { Job, JobDraft, JobError, JobState } from "./job.ts";

export interface AcceptResult {
  /** One job per draft, in draft order: new ones, or the existing job for a repeated idempotency key. */
  jobs: Job[];
  created: boolean[];
}

export interface JobFilter {
  state?: JobState;
  callerId?: string;
  /** ISO timestamps bounding createdAt. */
  since?: string;
  until?: string;
  limit: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

export interface JobPage {
  jobs: Job[];
  nextCursor: string | undefined;
}

export interface JobStore {
  /** All or nothing: every draft is durably stored (or found as a duplicate) before this resolves. */
  accept(drafts: readonly JobDraft[]): Promise<AcceptResult>;
  get(id: string): Promise<Job | undefined>;
  list(filter: JobFilter): Promise<JobPage>;
  /** Leases up to `limit` runnable jobs to the caller and counts an attempt on each. */
  claim(limit: number, leaseMs: number): Promise<Job[]>;
  /** Back to `accepted`, not before `notBefore`; `refundAttempt` when the attempt never reached ARM. */
  reschedule(id: string, notBefore: Date, error: JobError | undefined, refundAttempt: boolean): Promise<void>;
  finish(
    id: string,
    state: Extract<JobState, "succeeded" | "failed" | "dead">,
    outcome: { result?: unknown; error?: JobError },
  ): Promise<void>;
  /** Makes jobs left running by a process that is gone runnable again. */
  recover(): Promise<number>;
  /** Throws when the store cannot serve. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
