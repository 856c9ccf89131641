// Keeps the audit log to its configured retention: purges older records at start and then hourly.
import type { Logger } from "../telemetry/logger.ts";
import type { AuditStore } from "./store.ts";

const DAY_MS = 86_400_000;
export const PURGE_INTERVAL_MS = 3_600_000;

export function startAuditRetention(
  store: Pick<AuditStore, "purgeAudit">,
  retentionDays: number,
  logger: Logger,
  intervalMs = PURGE_INTERVAL_MS,
): { stop(): void } {
  const purge = async () => {
    try {
      const purged = await store.purgeAudit(new Date(Date.now() - retentionDays * DAY_MS));
      if (purged > 0) logger.info({ purged, retentionDays }, "audit records past retention purged");
    } catch (err) {
      logger.error({ err }, "could not purge audit records");
    }
  };
  void purge();
  const timer = setInterval(purge, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
