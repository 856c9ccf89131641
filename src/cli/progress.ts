// How `armbridge call --wait` shows a job as it runs: on a terminal one status block redrawn in place,
// in CI logs one plain line per change (state changes, and each deployed resource's provisioning state).
import type { Job } from "./armbridge-client.ts";

export interface DeploymentOperationView {
  resourceId?: string;
  resourceType?: string;
  resourceName?: string;
  provisioningState: string;
  statusMessage?: string;
}

/** The job's deployment operations, when armbridge reports them (deployments while they run). */
export function operationsOf(job: Job): DeploymentOperationView[] {
  const progress = (job as { progress?: { operations?: DeploymentOperationView[] } }).progress;
  return progress?.operations ?? [];
}

const label = (op: DeploymentOperationView) =>
  op.resourceType && op.resourceName
    ? `${op.resourceType}/${op.resourceName}`
    : (op.resourceId ?? "(deployment)");

/** Lines that describe the job now; the reporter prints those that changed. */
export function describe(job: Job): string[] {
  const lines = [
    `job ${job.id} ${job.operation} ${job.state}${job.attempts > 1 ? ` (attempt ${job.attempts})` : ""}`,
  ];
  for (const op of operationsOf(job)) {
    lines.push(`  ${label(op)}: ${op.provisioningState}${op.statusMessage ? ` (${op.statusMessage})` : ""}`);
  }
  return lines;
}

export interface ProgressReporter {
  update(job: Job): void;
}

export function createReporter(out: (text: string) => void, tty: boolean): ProgressReporter {
  const printed = new Set<string>();
  let drawn = 0;
  return {
    update(job) {
      const lines = describe(job);
      if (tty) {
        // Moves up over the previous block and clears it, so the terminal shows the job as it is now.
        const clear = drawn > 0 ? `\x1b[${drawn}F\x1b[J` : "";
        out(`${clear}${lines.join("\n")}\n`);
        drawn = lines.length;
        return;
      }
      for (const line of lines) {
        const text = line.trim();
        if (printed.has(text)) continue;
        printed.add(text);
        out(`${text}\n`);
      }
    },
  };
}
