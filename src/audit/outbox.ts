// Records written beside an action that must not depend on them: the audit record of an ARM call is
// written at once when the store takes it, and kept and written later when it does not, so that a
// store outage neither fails (and re-sends) a finished ARM write nor loses its record.
import type { Logger } from "../telemetry/logger.ts";
import type { AuditRecord } from "./record.ts";
import type { AuditStore } from "./store.ts";

export interface AuditOutbox {
  /** Resolves once the record is written, or kept for later (the store refused or is slow); never rejects. */
  record(record: AuditRecord): Promise<void>;
  /** Records kept for a later write. */
  readonly pending: number;
  /** Writes what is kept, trying until the deadline; resolves with what is still unwritten. */
  flush(deadlineMs: number): Promise<number>;
  stop(): void;
}

export interface AuditOutboxOptions {
  /** How long `record` waits for the store before keeping the record for later. */
  waitMs?: number;
  retryMs?: number;
  /** Kept records beyond this are dropped, oldest first, each drop logged as an error. */
  maxPending?: number;
}

export function createAuditOutbox(
  store: Pick<AuditStore, "appendAudit">,
  logger: Logger,
  { waitMs = 2000, retryMs = 1000, maxPending = 100_000 }: AuditOutboxOptions = {},
): AuditOutbox {
  const kept: AuditRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;

  const keep = (records: readonly AuditRecord[]) => {
    kept.push(...records);
    const excess = kept.length - maxPending;
    if (excess > 0) {
      const dropped = kept.splice(0, excess);
      logger.error(
        { dropped: dropped.length, first: dropped[0] },
        "audit records dropped: the store refused them too long",
      );
    }
    schedule();
  };

  const writeKept = (): Promise<void> => {
    writing ??= (async () => {
      const batch = kept.splice(0, 500);
      try {
        await store.appendAudit(batch);
      } catch (err) {
        kept.unshift(...batch);
        logger.warn({ err, pending: kept.length }, "audit records kept for a later write");
      }
    })().finally(() => {
      writing = undefined;
    });
    return writing;
  };

  function schedule() {
    if (timer || kept.length === 0) return;
    timer = setTimeout(async () => {
      timer = undefined;
      await writeKept();
      schedule();
    }, retryMs);
    timer.unref();
  }

  return {
    get pending() {
      return kept.length;
    },
    record(record) {
      // A write that is only slow is not repeated: it is kept only once it has really failed.
      const written = store.appendAudit([record]).catch((err: unknown) => {
        logger.warn({ err, jobId: record.jobId }, "could not write an audit record now; kept for later");
        keep([record]);
      });
      return new Promise<void>((resolve) => {
        const wait = setTimeout(resolve, waitMs);
        void written.then(() => {
          clearTimeout(wait);
          resolve();
        });
      });
    },
    async flush(deadlineMs) {
      const until = Date.now() + deadlineMs;
      while (kept.length > 0 && Date.now() < until) {
        const before = kept.length;
        await Promise.race([writeKept(), new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())))]);
        if (kept.length >= before && Date.now() < until) {
          await new Promise((r) => setTimeout(r, Math.min(retryMs, Math.max(0, until - Date.now()))));
        }
      }
      // The last resort: the records themselves go to the log, which outlives the process.
      if (kept.length > 0) logger.error({ records: kept }, "audit records could not be written before stop");
      return kept.length;
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
