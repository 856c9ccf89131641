// The job store contract; the worker and the HTTP layer see only this, never the engine behind it.
import type { AuditRecord } from "../audit/record.ts";
import type { AuditStore } from "../audit/store.ts";
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

/** The job store; the audit log shares its engine, so that a job never ends without its record. */
export interface JobStore extends AuditStore {
  /** All or nothing: every draft is durably stored (or found as a duplicate) before this resolves. */
  accept(drafts: readonly JobDraft[]): Promise<AcceptResult>;
  get(id: string): Promise<Job | undefined>;
  list(filter: JobFilter): Promise<JobPage>;
  /**
   * Leases up to `limit` runnable jobs to the caller and counts an attempt on each. With
   * `serializeByScope`, only the oldest unfinished job of a scope runs, and only when no other job
   * of that scope is running or waiting.
   */
  claim(limit: number, leaseMs: number, options?: { serializeByScope?: boolean }): Promise<Job[]>;
  /** Stores a long-running operation's poller state and marks the job `waiting`. */
  checkpoint(id: string, lroState: string): Promise<void>;
  /** Back to `accepted`, not before `notBefore`; `refundAttempt` when the attempt never reached ARM. */
  reschedule(id: string, notBefore: Date, error: JobError | undefined, refundAttempt: boolean): Promise<void>;
  /** The terminal state and its audit record, in one transaction: a job is never done without its record. */
  finish(
    id: string,
    state: Extract<JobState, "succeeded" | "failed" | "dead">,
    outcome: { result?: unknown; error?: JobError },
    audit: AuditRecord,
  ): Promise<void>;
  /**
   * Re-queues a dead letter as a fresh job (attempts and age reset), with its audit record.
   * `requeued` is false, and nothing changes, when the job is not dead.
   */
  requeue(id: string, audit: AuditRecord): Promise<{ job: Job; requeued: boolean } | undefined>;
  /** How many jobs are in each unfinished state (`accepted`, `running`, `waiting`): the queue depth. */
  countUnfinished(): Promise<Partial<Record<JobState, number>>>;
  /** Makes jobs left running by a process that is gone runnable again. */
  recover(): Promise<number>;
  /** Throws when the store cannot serve: cannot be read, or cannot take a write (a full disk). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
