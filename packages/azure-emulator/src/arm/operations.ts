// Long-running operations: each completes after the configured duration, then its effect is applied once.
import { randomUUID } from "node:crypto";
import type { ArmErrorDetail } from "./arm-error.ts";

export interface OperationOutcome {
  status: "Succeeded" | "Failed" | "Canceled";
  result?: unknown;
  error?: ArmErrorDetail;
  /** The operation ends with 204 No Content (a delete that ARM answers so). */
  noContent?: boolean;
}

export interface Operation {
  id: string;
  principalId: string;
  startedAt: number;
  completesAt: number;
  outcome?: OperationOutcome;
}

type Run = () => OperationOutcome | Promise<OperationOutcome>;

interface PendingOperation extends Operation {
  run: Run;
  timer?: NodeJS.Timeout;
  settling?: boolean;
}

function failure(error: unknown): OperationOutcome {
  return {
    status: "Failed",
    error: { code: "InternalServerError", message: error instanceof Error ? error.message : String(error) },
  };
}

export class OperationTracker {
  private readonly operations = new Map<string, PendingOperation>();

  start(principalId: string, durationMs: number, run: Run): Operation {
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

  /** Cancels a running operation; false when it has already ended. */
  cancel(id: string): boolean {
    const op = this.operations.get(id.toLowerCase());
    if (!op || op.outcome || op.settling) return false;
    clearTimeout(op.timer);
    op.outcome = { status: "Canceled" };
    return true;
  }

  clear(): void {
    for (const op of this.operations.values()) clearTimeout(op.timer);
    this.operations.clear();
  }

  private settle(op: PendingOperation): void {
    if (op.outcome || op.settling) return;
    clearTimeout(op.timer);
    op.settling = true;
    let result: OperationOutcome | Promise<OperationOutcome>;
    try {
      result = op.run();
    } catch (error) {
      op.outcome = failure(error);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (outcome) => {
          op.outcome = outcome;
        },
        (error: unknown) => {
          op.outcome = failure(error);
        },
      );
    } else op.outcome = result;
  }
}
