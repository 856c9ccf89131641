// Long-running operations: each completes after the configured duration, then its effect is applied once.
import { randomUUID } from "node:crypto";
import type { ArmErrorDetail } from "./arm-error.ts";

export interface OperationOutcome {
  status: "Succeeded" | "Failed";
  result?: unknown;
  error?: ArmErrorDetail;
}

export interface Operation {
  id: string;
  principalId: string;
  startedAt: number;
  completesAt: number;
  outcome?: OperationOutcome;
}

interface PendingOperation extends Operation {
  run: () => OperationOutcome;
  timer?: NodeJS.Timeout;
}

export class OperationTracker {
  private readonly operations = new Map<string, PendingOperation>();

  start(principalId: string, durationMs: number, run: () => OperationOutcome): Operation {
    const now = Date.now();
    const op: PendingOperation = {
      id: randomUUID(),
      principalId,
      startedAt: now,
      completesAt: now + durationMs,
      run,
    };
    op.timer = setTimeout(() => this.settle(op), durationMs);
    op.timer.unref();
    this.operations.set(op.id, op);
    return op;
  }

  get(id: string): Operation | undefined {
    const op = this.operations.get(id.toLowerCase());
    if (op && !op.outcome && Date.now() >= op.completesAt) this.settle(op);
    return op;
  }

  clear(): void {
    for (const op of this.operations.values()) clearTimeout(op.timer);
    this.operations.clear();
  }

  private settle(op: PendingOperation): void {
    if (op.outcome) return;
    clearTimeout(op.timer);
    try {
      op.outcome = op.run();
    } catch (error) {
      op.outcome = {
        status: "Failed",
        error: {
          code: "InternalServerError",
          message: error instanceof Error ? error.message : String(error),
        },
      };
    }
  }
}
