// The scale-out job store: Azure Storage tables and one queue, shared by every replica. Jobs are
// table entities changed only with ETag checks; each runnable job has a queue message, and a
// received message's visibility timeout is the job's lease, so a replica that dies lets its jobs
// reappear for the others. Accept batches: azure-storage-batches.ts; leases: azure-storage-leases.ts;
// scope serialisation and ordered actions: azure-storage-order.ts.
import type { TokenCredential } from "@azure/core-auth";
import { odata } from "@azure/data-tables";
import type { DequeuedMessageItem } from "@azure/storage-queue";
import type { AuditRecord } from "../../audit/record.ts";
import type { AzureStorageConfig } from "../../config/store-schema.ts";
import type { Job, JobState } from "../job.ts";
import type { JobFilter, JobPage, JobStore } from "../store.ts";
import { auditEntity, purgeAudit, queryAudit } from "./audit.ts";
import { BATCH_GRACE_MS, createBatches, inParallel, readEntity, scopeRow } from "./batches.ts";
import { createStorageClients } from "./clients.ts";
import {
  bookkeeping,
  idPrefix,
  isKeySafe,
  jobEntity,
  PENDING,
  type StoredEntity,
  statusOf,
  toJob,
} from "./entities.ts";
import { createLeases, toSeconds } from "./leases.ts";
import { createOrdering, isTerminal } from "./order.ts";
import { queryPage } from "./paging.ts";

/** How often claims also sweep batches that a dead process left half done. */
const SWEEP_MS = 5_000;
/** Receives per claim, so that a queue full of jobs that cannot run yet does not hold a claim up. */
const MAX_RECEIVES = 4;

const iso = (ms: number) => new Date(ms).toISOString();

export function openAzureStorageJobStore(config: AzureStorageConfig, credential: TokenCredential): JobStore {
  const c = createStorageClients(config, credential);
  const batches = createBatches(c);
  const leases = createLeases(c.queue);
  /** Set by the first claim that serialises by scope: finishing a job then wakes the next of its scope. */
  let serializing = false;
  let lastSweep = Date.now();
  let sweeping: Promise<unknown> | undefined;

  const removeFromScope = async (entity: StoredEntity) => {
    const row = scopeRow(entity);
    await c.scopes.deleteEntity(row.partitionKey, row.rowKey).catch(() => undefined);
  };
  const ordering = createOrdering(c, (base, job) => save(base, job), removeFromScope);

  const current = async (id: string): Promise<StoredEntity> => {
    const held = leases.get(id)?.entity;
    const entity = held ?? (await readEntity(c.jobs, id));
    if (!entity) throw new Error(`job ${id} does not exist`);
    return entity;
  };

  /** Replaces the job entity if nobody changed it since this process last read or wrote it. */
  const save = async (base: StoredEntity, job: Job, extra: Record<string, unknown> = {}) => {
    const entity = jobEntity(job, { ...bookkeeping(base), ...extra });
    const { etag } = await c.jobs.updateEntity(entity, "Replace", { etag: base.etag }).catch((err) => {
      if (statusOf(err) === 412) leases.forget(job.id);
      throw err;
    });
    const saved = { ...entity, etag } as StoredEntity;
    const held = leases.get(job.id);
    if (held) held.entity = saved;
    return saved;
  };

  /** Decides what a received message means: a job to run now, or later, or a message to drop. */
  const take = async (
    m: DequeuedMessageItem,
    leaseMs: number,
    serialize: boolean,
  ): Promise<Job | undefined> => {
    const later = (ms: number) => c.queue.updateMessage(m.messageId, m.popReceipt, undefined, toSeconds(ms));
    const drop = () => c.queue.deleteMessage(m.messageId, m.popReceipt).catch(() => undefined);
    const id = m.messageText;
    const entity = isKeySafe(id) ? await readEntity(c.jobs, id) : undefined;
    if (!entity || isTerminal(entity.state)) return void (await drop());
    if (entity.state === PENDING) return void (await later(BATCH_GRACE_MS));
    const underWay = entity.state === "running" || entity.state === "waiting";
    // Another message leases it (a second message from a sweep): this one is surplus. The same
    // message back again means its holder stopped renewing it: the job is taken over.
    if (underWay && entity.leaseMessageId !== m.messageId) return void (await drop());
    const now = Date.now();
    if (!underWay && Number(entity.notBefore) > now)
      return void (await later(Number(entity.notBefore) - now));
    const may = await ordering.mayRun(entity, serialize);
    if (may === "failed") return void (await drop());
    if (may === "wait") return void (await ordering.park(entity, m.messageId, m.popReceipt));
    const job = toJob(entity);
    const next: Job = { ...job, state: "running", attempts: job.attempts + 1, updatedAt: iso(now) };
    const { parkedMessageId: _, parkedPopReceipt: __, ...keep } = bookkeeping(entity);
    const fresh = jobEntity(next, { ...keep, leaseMessageId: m.messageId });
    try {
      const { etag } = await c.jobs.updateEntity(fresh, "Replace", { etag: entity.etag });
      leases.hold(
        id,
        { messageId: m.messageId, popReceipt: m.popReceipt, entity: { ...fresh, etag } as StoredEntity },
        leaseMs,
      );
      return next;
    } catch (err) {
      // Another replica changed it first; this message is looked at again shortly.
      if (statusOf(err) === 412) return void (await later(1000));
      throw err;
    }
  };

  const sweep = () => {
    sweeping ??= batches.sweep().finally(() => {
      sweeping = undefined;
      lastSweep = Date.now();
    });
    return sweeping as Promise<number>;
  };

  return {
    accept: (drafts) => batches.accept(drafts),

    async get(id) {
      if (!isKeySafe(id)) return undefined;
      await c.ready;
      const entity = await readEntity(c.jobs, id);
      return entity && (await batches.visible(entity)) ? toJob(entity) : undefined;
    },

    async list(filter: JobFilter): Promise<JobPage> {
      await c.ready;
      // `pending` rows are read too: a committed batch's jobs are `accepted` before they are rolled forward.
      const clauses: string[] = [];
      if (filter.state === "accepted") clauses.push(odata`(state eq ${"accepted"} or state eq ${PENDING})`);
      else if (filter.state) clauses.push(odata`state eq ${filter.state}`);
      if (filter.callerId) clauses.push(odata`callerId eq ${filter.callerId}`);
      // Job ids start with their inverted creation time (see newJobId): a time range is a key range.
      if (filter.since) clauses.push(odata`PartitionKey lt ${idPrefix(Date.parse(filter.since) - 1)}`);
      if (filter.until) clauses.push(odata`PartitionKey ge ${idPrefix(Date.parse(filter.until) - 1)}`);
      // Rows of a committed batch not yet rolled forward are shown; other `pending` rows are not.
      const seen = new Map<string, Promise<boolean>>();
      const committed = (batchId: string) => {
        if (!seen.has(batchId)) seen.set(batchId, batches.visible({ state: PENDING, batchId }));
        return seen.get(batchId) as Promise<boolean>;
      };
      const { rows, nextCursor } = await queryPage(c.jobs, {
        clauses,
        limit: filter.limit,
        ...(filter.cursor ? { cursor: filter.cursor } : {}),
        keep: (row) => row.state !== PENDING || committed(String(row.batchId)),
        timeOf: (row) => Number(row.createdAt),
      });
      return { jobs: rows.map(toJob), nextCursor };
    },

    async claim(limit, leaseMs, options = {}) {
      await c.ready;
      const serialize = options.serializeByScope === true;
      serializing ||= serialize;
      if (Date.now() - lastSweep > SWEEP_MS) sweep().catch(() => undefined);
      const claimed: Job[] = [];
      for (let round = 0; round < MAX_RECEIVES && claimed.length < limit; round++) {
        const want = Math.min(32, limit - claimed.length);
        const { receivedMessageItems: items } = await c.queue.receiveMessages({
          numberOfMessages: want,
          visibilityTimeout: toSeconds(leaseMs),
        });
        const taken = await Promise.all(items.map((m) => take(m, leaseMs, serialize).catch(() => undefined)));
        claimed.push(...taken.filter((j): j is Job => j !== undefined));
        if (items.length < want) break;
      }
      return claimed;
    },

    async checkpoint(id, lroState) {
      const base = await current(id);
      const now = Date.now();
      await save(base, { ...toJob(base), state: "waiting", lroState, updatedAt: iso(now) });
    },

    async reschedule(id, notBefore, error, refundAttempt) {
      const base = await current(id);
      const job = toJob(base);
      await save(base, {
        ...job,
        state: "accepted",
        notBefore: notBefore.toISOString(),
        error,
        attempts: job.attempts - (refundAttempt ? 1 : 0),
        updatedAt: iso(Date.now()),
      });
      const delayMs = notBefore.getTime() - Date.now();
      if (leases.get(id)) await leases.release(id, delayMs);
      else
        await c.queue.sendMessage(id, {
          messageTimeToLive: -1,
          visibilityTimeout: delayMs > 0 ? toSeconds(delayMs) : 0,
        });
    },

    async finish(id, state, outcome, record: AuditRecord) {
      // The record first: a crash in between leaves a record of a job that runs again (and checks
      // before it writes), never a finished job without its record.
      await c.audit.createEntity(auditEntity(record));
      const base = await current(id);
      const now = Date.now();
      await save(base, {
        ...toJob(base),
        state,
        result: outcome.result,
        error: outcome.error,
        lroState: undefined,
        finishedAt: iso(now),
        updatedAt: iso(now),
      });
      if (leases.get(id)) await leases.complete(id);
      await removeFromScope(base);
      await ordering.afterFinish(base, state, serializing);
    },

    async requeue(id, record) {
      if (!isKeySafe(id)) return undefined;
      await c.ready;
      const base = await readEntity(c.jobs, id);
      if (!base || !(await batches.visible(base))) return undefined;
      if (base.state !== "dead") return { job: toJob(base), requeued: false };
      // The message goes first, hidden: should this process die before the job is re-queued, the
      // message finds the job still dead and is dropped.
      const sent = await c.queue.sendMessage(id, { messageTimeToLive: -1, visibilityTimeout: 30 });
      await c.audit.createEntity(auditEntity(record));
      const at = iso(Date.now());
      const job: Job = {
        ...toJob(base),
        state: "accepted",
        attempts: 0,
        notBefore: at,
        acceptedAt: at,
        updatedAt: at,
        finishedAt: undefined,
        error: undefined,
        lroState: undefined,
      };
      try {
        await save(base, job);
      } catch (err) {
        if (statusOf(err) !== 412) throw err;
        const now = await readEntity(c.jobs, id);
        return now ? { job: toJob(now), requeued: false } : undefined;
      }
      await c.scopes.upsertEntity(scopeRow(base), "Replace");
      await c.queue.updateMessage(sent.messageId, sent.popReceipt, undefined, 0);
      return { job, requeued: true };
    },

    async appendAudit(records) {
      if (records.length === 0) return;
      await c.ready;
      await inParallel(records, 16, (r) => c.audit.createEntity(auditEntity(r)));
    },

    queryAudit: (filter) => queryAudit(c, filter),

    purgeAudit: (before) => purgeAudit(c, before),

    async countUnfinished() {
      await c.ready;
      const counts: Partial<Record<JobState, number>> = {};
      const unfinished = c.jobs.listEntities({
        queryOptions: {
          filter: odata`state eq ${"accepted"} or state eq ${"running"} or state eq ${"waiting"}`,
          select: ["state"],
        },
      });
      for await (const e of unfinished) {
        const state = String(e.state) as JobState;
        counts[state] = (counts[state] ?? 0) + 1;
      }
      return counts;
    },

    async recover() {
      // Jobs of a replica that died come back by themselves when their leases lapse; what needs a
      // hand are accept batches it left half done.
      return sweep();
    },

    async ping() {
      await c.ready;
      await c.queue.getProperties();
    },

    async close() {
      await sweeping?.catch(() => undefined);
      await leases.releaseAll();
    },
  };
}
