// All-or-nothing accept on Azure Storage. A table transaction holds at most 100 entities of one
// partition, and jobs live in a partition each, so the commit point is one entity instead: a batch
// record. An accept writes the batch record (`pending`), claims each idempotency key (insert if
// absent), inserts its jobs in the internal state `pending` (invisible, never run), then flips the
// batch record to `committed` with an ETag check: that one write makes the whole batch durable.
// Only then are the jobs made `accepted`, indexed by scope and enqueued, and the record deleted.
// A batch left `pending` longer than BATCH_GRACE_MS is aborted (ETag-checked, so an accept that
// commits at the same moment either wins or fails, never half of each); one left `committed` by a
// crash is rolled forward by whoever sweeps (any replica's recover, and claims now and then).
import { newId } from "../../kernel/ids.ts";
import type { Job, JobDraft } from "../job.ts";
import type { AcceptResult } from "../store.ts";
import type { StorageClients } from "./clients.ts";
import {
  type Entity,
  getText,
  hashKey,
  jobEntity,
  newJobId,
  PENDING,
  putText,
  type StoredEntity,
  statusOf,
  toJob,
} from "./entities.ts";

export const BATCH_GRACE_MS = 5000;
const KEY_WAIT_MS = 3 * BATCH_GRACE_MS;
const YIELD = Symbol("yield");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function readEntity(
  table: StorageClients["jobs"],
  partitionKey: string,
): Promise<StoredEntity | undefined> {
  try {
    return (await table.getEntity(partitionKey, "")) as StoredEntity;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** Runs `fn` over `items`, at most `width` at a time. */
export async function inParallel<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return results;
}

const ignore =
  (...statuses: number[]) =>
  (err: unknown) => {
    if (!statuses.includes(statusOf(err) ?? 0)) throw err;
  };

/** A scope's index row: oldest first, and in draft order within one accept (same creation time). */
export function scopeRow(e: Record<string, unknown>): Entity {
  const created = String(Number(e.createdAt)).padStart(15, "0");
  const seq = String(Number(e.seq ?? 0)).padStart(6, "0");
  return { partitionKey: hashKey(String(e.scopeKey)), rowKey: `${created}_${seq}_${e.partitionKey}` };
}

export function createBatches(c: StorageClients) {
  /** Makes committed jobs runnable: indexed by scope, `accepted`, then enqueued. Idempotent. */
  const rollForward = async (stored: { entity: Record<string, unknown>; etag: string }) => {
    const { entity, etag } = stored;
    await c.scopes.upsertEntity(scopeRow(entity), "Replace");
    try {
      await c.jobs.updateEntity(
        { partitionKey: String(entity.partitionKey), rowKey: "", state: "accepted" },
        "Merge",
        { etag },
      );
    } catch (err) {
      // Someone else rolled it forward (and enqueued it) first.
      if (statusOf(err) === 412) return false;
      throw err;
    }
    await c.queue.sendMessage(String(entity.partitionKey), { messageTimeToLive: -1 });
    return true;
  };

  const jobIdsOf = (batch: Record<string, unknown>) =>
    (getText(batch, "jobIds") ?? "").split(",").filter(Boolean);

  /** Aborts a pending batch (if it still is pending) and removes what it wrote. */
  const abort = async (batch: StoredEntity) => {
    if (batch.state === "pending") {
      try {
        await c.batches.updateEntity(
          { partitionKey: batch.partitionKey, rowKey: "", state: "aborted" },
          "Merge",
          {
            etag: batch.etag,
          },
        );
      } catch (err) {
        if (statusOf(err) === 412) return;
        throw err;
      }
    }
    // Its key rows point at a batch that is gone: readers treat them as stale and replace them.
    await inParallel(jobIdsOf(batch), 16, (id) => c.jobs.deleteEntity(id, "").catch(ignore(404)));
    await c.batches.deleteEntity(batch.partitionKey, "").catch(ignore(404));
  };

  type Verdict = { kind: "existing"; job: Job } | { kind: "stale" } | { kind: "wait"; holder: StoredEntity };

  /** What an idempotency key row that is already there stands for. */
  const judge = async (row: StoredEntity): Promise<Verdict> => {
    const jobId = String(row.jobId);
    const job = await readEntity(c.jobs, jobId);
    if (job && job.state !== PENDING) return { kind: "existing", job: toJob(job) };
    const batch = await readEntity(c.batches, String(row.batchId));
    if (!batch || batch.state === "aborted") {
      // A committed batch is deleted only after its jobs left `pending`: look once more.
      const again = await readEntity(c.jobs, jobId);
      return again && again.state !== PENDING ? { kind: "existing", job: toJob(again) } : { kind: "stale" };
    }
    if (batch.state === "committed") {
      if (!job) return { kind: "stale" };
      // Its accept died after the commit (or is finishing it right now): help it along.
      await rollForward({ entity: job, etag: job.etag });
      return { kind: "existing", job: toJob(job) };
    }
    if (Date.now() - Number(batch.createdAt) > BATCH_GRACE_MS) await abort(batch);
    return { kind: "wait", holder: batch };
  };

  /** Batches are ordered by (createdAt, id): the older of two that want each other's keys goes first. */
  const older = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    Number(a.createdAt) < Number(b.createdAt) ||
    (Number(a.createdAt) === Number(b.createdAt) && String(a.partitionKey) < String(b.partitionKey));

  /**
   * Inserts the key row, or finds the job an earlier accept stored under the key. Two accepts that
   * each hold a key the other wants would wait for each other, so only the older one waits; the
   * younger one yields (gives its keys back and starts over).
   */
  const claimKey = async (key: string, jobId: string, mine: Entity, yielded: () => boolean) => {
    const partitionKey = hashKey(key);
    const deadline = Date.now() + KEY_WAIT_MS;
    while (Date.now() < deadline && !yielded()) {
      try {
        await c.keys.createEntity({ partitionKey, rowKey: "", key, jobId, batchId: mine.partitionKey });
        return undefined;
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
      const row = await readEntity(c.keys, partitionKey);
      if (!row) continue;
      const verdict = await judge(row);
      if (verdict.kind === "existing") return verdict.job;
      if (verdict.kind === "stale") {
        await c.keys.deleteEntity(partitionKey, "", { etag: row.etag }).catch(ignore(404, 412));
        continue;
      }
      if (older(verdict.holder, mine)) return YIELD;
      await sleep(50);
    }
    if (yielded()) return YIELD;
    throw new Error("idempotency key is held by an accept that neither committed nor expired");
  };

  /** One try at storing the drafts; YIELD when it gave way to an older accept and must start over. */
  const attempt = async (
    drafts: readonly JobDraft[],
    createdAt: number,
  ): Promise<AcceptResult | typeof YIELD> => {
    const batchId = newId();
    // Every entity is built once first: a draft that cannot be stored fails before anything is written.
    const jobs: Job[] = drafts.map((d) => newJob(d, createdAt));
    for (const job of jobs) jobEntity(job);
    drafts.forEach((d, i) => {
      if ((d.after ?? []).some((j) => !(j >= 0 && j < i))) {
        throw new RangeError("a job can only run after an earlier one");
      }
    });
    const record: Entity = { partitionKey: batchId, rowKey: "", state: "pending", createdAt };
    putText(record, "jobIds", jobs.map((j) => j.id).join(","));
    const etag = (await c.batches.createEntity(record)).etag as string;

    // A key repeated inside one submission maps to its first job, as a repeated delivery would.
    const firstOfKey = new Map<string, number>();
    let gaveWay = false;
    const existing = await Promise.all(
      drafts.map(async (d, i) => {
        if (d.idempotencyKey === undefined) return undefined;
        const first = firstOfKey.get(d.idempotencyKey);
        if (first !== undefined) return first;
        firstOfKey.set(d.idempotencyKey, i);
        const found = await claimKey(d.idempotencyKey, (jobs[i] as Job).id, record, () => gaveWay);
        if (found === YIELD) gaveWay = true;
        return found;
      }),
    ).catch(async (err) => {
      await abort({ ...record, etag }).catch(() => undefined);
      throw err;
    });
    if (gaveWay) {
      await abort({ ...record, etag });
      return YIELD;
    }
    const found = existing as (Job | number | undefined)[];
    const ordered = withOrder(drafts, resolve(jobs, found), found);
    const fresh = ordered.flatMap((o, seq) =>
      found[seq] === undefined ? [jobEntity(o.job, { state: PENDING, batchId, seq, ...o.extra })] : [],
    );
    const etags = await inParallel(fresh, 16, async (e) => (await c.jobs.createEntity(e)).etag ?? "*");
    try {
      await c.batches.updateEntity({ partitionKey: batchId, rowKey: "", state: "committed" }, "Merge", {
        etag,
      });
    } catch (err) {
      const status = statusOf(err);
      if (status === 412 || status === 404) throw new Error("the accept took too long and was rolled back");
      throw err;
    }
    // Durable from here on; what follows only makes the jobs visible and runnable, and a sweep
    // finishes it if this process dies first.
    try {
      await inParallel([...fresh.keys()], 16, (i) =>
        rollForward({ entity: fresh[i] as Entity, etag: etags[i] as string }),
      );
      await c.batches.deleteEntity(batchId, "");
    } catch {
      // Left to the sweep.
    }
    return { jobs: ordered.map((o) => o.job), created: found.map((e) => e === undefined) };
  };

  return {
    /** True when a job entity may be shown: it left `pending`, or its batch committed. */
    async visible(entity: Record<string, unknown>): Promise<boolean> {
      if (entity.state !== PENDING) return true;
      const batch = await readEntity(c.batches, String(entity.batchId));
      return batch?.state === "committed";
    },

    async accept(drafts: readonly JobDraft[]): Promise<AcceptResult> {
      await c.ready;
      // The first try's time stays the accept's place in line, so one that yields is not starved.
      const createdAt = Date.now();
      for (;;) {
        const outcome = await attempt(drafts, createdAt);
        if (outcome !== YIELD) return outcome;
        if (Date.now() - createdAt > KEY_WAIT_MS) throw new Error("gave way to other accepts for too long");
        await sleep(20 + Math.random() * 80);
      }
    },

    /** Finishes or aborts batches a dead process left behind; the number of jobs made runnable. */
    async sweep(): Promise<number> {
      await c.ready;
      let made = 0;
      for await (const batch of c.batches.listEntities()) {
        if (Date.now() - Number(batch.createdAt) <= BATCH_GRACE_MS) continue;
        if (batch.state !== "committed") {
          await abort(batch as StoredEntity);
          continue;
        }
        const ids = jobIdsOf(batch);
        const results = await inParallel(ids, 16, async (id) => {
          const entity = await readEntity(c.jobs, id);
          if (!entity) return false;
          if (entity.state === PENDING) return rollForward({ entity, etag: entity.etag });
          // It may have died between `accepted` and the enqueue; a second message is harmless.
          if (entity.state === "accepted") await c.queue.sendMessage(id, { messageTimeToLive: -1 });
          return entity.state === "accepted";
        });
        made += results.filter(Boolean).length;
        await c.batches.deleteEntity(String(batch.partitionKey), "").catch(ignore(404));
      }
      return made;
    },
  };
}

/** Each draft's job: its own new one, or the one found under its idempotency key. */
function resolve(jobs: Job[], existing: readonly (Job | number | undefined)[]): Job[] {
  return jobs.map((job, i) => {
    const found = existing[i];
    if (found === undefined) return job;
    return typeof found === "number" ? (jobs[found] as Job) : found;
  });
}

/**
 * New jobs with the ids of the jobs they run after, and the ids of the new jobs that run after
 * them (so that finishing one can start or fail those at once).
 */
function withOrder(drafts: readonly JobDraft[], final: Job[], existing: readonly unknown[]) {
  const dependents = final.map(() => [] as string[]);
  drafts.forEach((d, i) => {
    if (existing[i] !== undefined) return;
    for (const j of d.after ?? []) dependents[j]?.push((final[i] as Job).id);
  });
  return final.map((job, i) => {
    if (existing[i] !== undefined) return { job, extra: {} };
    const after = (drafts[i]?.after ?? []).map((j) => (final[j] as Job).id);
    const extra: Record<string, unknown> = {};
    if (dependents[i]?.length) putText(extra, "dependents", JSON.stringify(dependents[i]));
    return { job: { ...job, after }, extra };
  });
}

function newJob(d: JobDraft, now: number): Job {
  const at = new Date(now).toISOString();
  const { after: _indexes, ...draft } = d;
  return {
    ...draft,
    after: [],
    id: newJobId(now),
    state: "accepted",
    attempts: 0,
    correlationId: newId(),
    createdAt: at,
    updatedAt: at,
    notBefore: at,
    acceptedAt: at,
    finishedAt: undefined,
    result: undefined,
    error: undefined,
    lroState: undefined,
  };
}
