// The IMDS lock-down's state as armbridge's own gauges. The watch (deploy/imds/watch-imds-lockdown.sh,
// root, every minute) writes a node_exporter textfile; armbridge reads it, mounted read-only, at each
// metric collection, so the state reaches Application Insights with the connection string armbridge
// already has. The Azure Monitor Agent could not carry it: it needs IMDS for its token, which the
// lock-down refuses to every process but armbridge (deploy/README.md, "Workbook and alerts").
import { readFile } from "node:fs/promises";
import type { Meter } from "@opentelemetry/api";

export const IMDS_LOCKDOWN_METRICS = {
  /** 1 when the last check found the lock-down loaded as configured, 0 when it had to alert. */
  inForce: "armbridge.imds_lockdown.in_force",
  /** Times the watch found the lock-down missing or changed and loaded it again (since the file began). */
  repairs: "armbridge.imds_lockdown.repairs",
  /** Seconds since the last check ran: grows when the timer stopped. */
  checkAge: "armbridge.imds_lockdown.check_age",
} as const;

export interface ImdsLockdownState {
  inForce: number;
  repairs: number;
  lastCheckSeconds: number;
}

/** The three samples of the watch's textfile; undefined when one is missing (a file being written, or another file). */
export function parseLockdownTextfile(text: string): ImdsLockdownState | undefined {
  const sample = (name: string) => {
    const m = new RegExp(`^${name} (\\d+(?:\\.\\d+)?)$`, "m").exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const inForce = sample("armbridge_imds_lockdown_in_force");
  const repairs = sample("armbridge_imds_lockdown_repairs_total");
  const lastCheckSeconds = sample("armbridge_imds_lockdown_last_check_timestamp_seconds");
  if (inForce === undefined || repairs === undefined || lastCheckSeconds === undefined) return undefined;
  return { inForce, repairs, lastCheckSeconds };
}

/**
 * Observes the file's samples at each collection. A file that is missing or unreadable is observed as
 * nothing: the alert on the gauges' absence is what reports it, not a made-up value.
 */
export function observeImdsLockdown(meter: Meter, file: string, now: () => number = Date.now): void {
  const inForce = meter.createObservableGauge(IMDS_LOCKDOWN_METRICS.inForce, {
    description: "1 when the IMDS lock-down was found in force by its last check, else 0",
  });
  const repairs = meter.createObservableGauge(IMDS_LOCKDOWN_METRICS.repairs, {
    description: "Times the IMDS lock-down watch loaded the rules again",
  });
  const checkAge = meter.createObservableGauge(IMDS_LOCKDOWN_METRICS.checkAge, {
    unit: "s",
    description: "Seconds since the IMDS lock-down was last checked",
  });
  meter.addBatchObservableCallback(
    async (result) => {
      const state = await readFile(file, "utf8").then(parseLockdownTextfile, () => undefined);
      if (!state) return;
      result.observe(inForce, state.inForce);
      result.observe(repairs, state.repairs);
      result.observe(checkAge, Math.max(0, Math.round(now() / 1000 - state.lastCheckSeconds)));
    },
    [inForce, repairs, checkAge],
  );
}
