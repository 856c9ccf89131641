// The jobs this process holds: each one's queue message stays invisible while the process lives
// (its visibility is renewed every third of the lease), so a crash lets it reappear after one
// lease. Operations on one message run one after another, since each renewal changes its pop receipt.
import type { QueueClient } from "@azure/storage-queue";
import { type StoredEntity, statusOf } from "./entities.ts";

export interface Held {
  messageId: string;
  popReceipt: string;
  /** The job entity as this process last wrote it; its ETag fences off a replica that lost the lease. */
  entity: StoredEntity;
  chain: Promise<unknown>;
  /** The message is gone or was taken over: no more renewals, and the next write meets its ETag. */
  lost?: boolean;
}

/** Visibility timeouts are whole seconds, at most 7 days. */
export const toSeconds = (ms: number) => Math.min(7 * 86_400, Math.max(1, Math.ceil(ms / 1000)));

/** A message that was deleted, or whose pop receipt a later receive replaced. */
const gone = (err: unknown) => statusOf(err) === 404 || statusOf(err) === 400;

export function createLeases(queue: QueueClient) {
  const held = new Map<string, Held>();
  let leaseSeconds = 60;
  let timer: NodeJS.Timeout | undefined;

  /** Runs one operation on the job's message after the ones before it. */
  const onMessage = <T>(id: string, op: (h: Held) => Promise<T>): Promise<T> => {
    const h = held.get(id);
    if (!h) return Promise.reject(new Error(`job ${id} is not held by this process`));
    const next = h.chain.then(() => op(h));
    h.chain = next.catch(() => undefined);
    return next;
  };

  const renewAll = () => {
    for (const [id, entry] of held) {
      if (entry.lost) continue;
      onMessage(id, async (h) => {
        const { popReceipt } = await queue.updateMessage(h.messageId, h.popReceipt, undefined, leaseSeconds);
        if (popReceipt) h.popReceipt = popReceipt;
      }).catch((err) => {
        // The entry stays, with the ETag it had: if another replica took the job over meanwhile,
        // this process's next write of it fails instead of overwriting the other's.
        if (gone(err)) entry.lost = true;
      });
    }
  };

  return {
    get: (id: string) => held.get(id),

    /** Another replica has the job now: this process lets go without touching the message. */
    forget: (id: string) => held.delete(id),

    hold(id: string, h: Omit<Held, "chain">, leaseMs: number) {
      held.set(id, { ...h, chain: Promise.resolve() });
      if (toSeconds(leaseMs) !== leaseSeconds || !timer) {
        leaseSeconds = toSeconds(leaseMs);
        clearInterval(timer);
        timer = setInterval(renewAll, (leaseSeconds * 1000) / 3);
        timer.unref();
      }
    },

    /** The message comes back after `delayMs` (0: at once) for whoever receives it next. */
    async release(id: string, delayMs: number): Promise<void> {
      const seconds = delayMs <= 0 ? 0 : toSeconds(delayMs);
      await onMessage(id, (h) => queue.updateMessage(h.messageId, h.popReceipt, undefined, seconds)).catch(
        (err) => {
          // Lost meanwhile: the message is visible already, and whoever receives it sees the job's state.
          if (!gone(err)) throw err;
        },
      );
      held.delete(id);
    },

    /** The job is done: its message goes. */
    async complete(id: string): Promise<void> {
      await onMessage(id, (h) => queue.deleteMessage(h.messageId, h.popReceipt)).catch((err) => {
        // A message left behind finds the job finished and is dropped.
        if (!gone(err)) throw err;
      });
      held.delete(id);
    },

    /** On close: every held message comes back at once, for the next process to take over. */
    async releaseAll(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await Promise.allSettled([...held.keys()].map((id) => this.release(id, 0)));
      held.clear();
    },
  };
}
