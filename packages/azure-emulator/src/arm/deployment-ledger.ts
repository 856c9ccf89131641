// What ARM keeps beside a deployment: the operation that runs it, and its deployment operations.
import type { DeploymentOperationRecord } from "./template-runner.ts";

export class DeploymentLedger {
  /** Deployment id (lowercase) -> the id of the long-running operation that completes it. */
  readonly runs = new Map<string, string>();
  /** Deployment id (lowercase) -> one operation per resource it deployed. */
  readonly operations = new Map<string, DeploymentOperationRecord[]>();

  clear(): void {
    this.runs.clear();
    this.operations.clear();
  }
}
