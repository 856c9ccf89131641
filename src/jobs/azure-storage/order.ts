// What may run when, on the Azure Storage store: one job per scope at a time (oldest first) and a
// job only after the jobs it runs after succeeded. A job that must wait parks its queue message;
// the job it waits for wakes it on finishing, and a parked message looks again after PARK_MS anyway.
import { odata } from "@azure/data-tables";
import { type Job, type JobState, TERMINAL_STATES } from "../job.ts";
import { jobRecord } from "../job-audit.ts";
import { auditEntity } from "./audit.ts";
import { readEntity } from "./batches.ts";
import type { StorageClients } from "./clients.ts";
import { dependentsOf, hashKey, type StoredEntity, statusOf, toJob } from "./entities.ts";

export const PARK_MS = 10_000;

export const isTerminal = (state: unknown) => TERMINAL_STATES.has(state as JobState);

type Save = (base: StoredEntity, job: Job) => Promise<StoredEntity>;

export function createOrdering(
  c: StorageClients,
  save: Save,
  removeFromScope: (e: StoredEntity) => Promise<void>,
) {
  /** Unfinished jobs of a scope, oldest first; index rows of finished jobs are cleared on the way. */
  async function* unfinishedOfScope(scopeKey: string) {
    const partitionKey = hashKey(scopeKey);
    const rows = c.scopes.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } });
    for await (const row of rows) {
      const id = String(row.rowKey).split("_")[2] ?? "";
      const entity = await readEntity(c.jobs, id);
      if (entity && !isTerminal(entity.state)) yield entity;
      else await c.scopes.deleteEntity(partitionKey, String(row.rowKey)).catch(() => undefined);
    }
  }

  const oldestOfScope = async (scopeKey: string) => {
    for await (const entity of unfinishedOfScope(scopeKey)) return entity;
    return undefined;
  };

  const wake = async (entity: StoredEntity | undefined) => {
    if (typeof entity?.parkedMessageId === "string" && typeof entity.parkedPopReceipt === "string") {
      await c.queue
        .updateMessage(entity.parkedMessageId, entity.parkedPopReceipt, undefined, 0)
        .catch(() => undefined);
    }
  };

  /** A job that runs after one that did not succeed can never run: it fails, with its audit record. */
  const failDependent = async (entity: StoredEntity, cause: string, causeState: string): Promise<void> => {
    if (entity.state !== "accepted") return;
    const job = toJob(entity);
    const error = {
      code: "DependencyFailed",
      message: `job ${cause}, which this job runs after, ended ${causeState}`,
    };
    const record = jobRecord(job, "failed", error);
    const at = record.time;
    await c.audit.createEntity(auditEntity(record));
    try {
      await save(entity, { ...job, state: "failed", error, finishedAt: at, updatedAt: at });
    } catch (err) {
      if (statusOf(err) === 412) return;
      throw err;
    }
    await removeFromScope(entity);
    await afterFinish(entity, "failed", false);
  };

  const afterFinish = async (entity: StoredEntity, state: string, serializing: boolean) => {
    const dependents = await Promise.all(dependentsOf(entity).map((id) => readEntity(c.jobs, id)));
    for (const dependent of dependents) {
      if (!dependent) continue;
      if (state === "succeeded") await wake(dependent);
      else await failDependent(dependent, String(entity.partitionKey), state);
    }
    if (serializing) await wake(await oldestOfScope(String(entity.scopeKey)));
  };

  return {
    /**
     * Whether a job may run now: `run`, `wait` (an earlier job of its scope or one it runs after is
     * unfinished), or `failed` (it ran after a job that did not succeed, and has failed for it).
     */
    async mayRun(entity: StoredEntity, serialize: boolean): Promise<"run" | "wait" | "failed"> {
      for (const id of toJob(entity).after) {
        const before = await readEntity(c.jobs, id);
        if (before?.state === "succeeded") continue;
        if (before && !isTerminal(before.state)) return "wait";
        await failDependent(entity, id, String(before?.state ?? "missing"));
        return "failed";
      }
      if (!serialize) return "run";
      const oldest = await oldestOfScope(String(entity.scopeKey));
      return oldest && oldest.partitionKey !== entity.partitionKey ? "wait" : "run";
    },

    /** Hides a message that must wait, and notes it on the job so that it can be woken. */
    async park(entity: StoredEntity, messageId: string, popReceipt: string): Promise<void> {
      const parked = await c.queue.updateMessage(messageId, popReceipt, undefined, PARK_MS / 1000);
      await c.jobs.updateEntity(
        {
          partitionKey: entity.partitionKey,
          rowKey: "",
          parkedMessageId: messageId,
          parkedPopReceipt: parked.popReceipt,
        },
        "Merge",
      );
    },

    /** After a job's terminal state: start or fail the jobs that run after it, wake its scope's next. */
    afterFinish,
  };
}
