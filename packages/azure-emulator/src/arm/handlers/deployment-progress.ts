// GET {deployment}/operations: the deployment's resource operations as ARM lists them while it runs
// (each target resource `Running`) and after (`Succeeded`, or `Failed` with the error as statusMessage).
// Minimal: the emulator applies a deployment at once when its long-running operation completes.
import { randomUUID } from "node:crypto";
import { ArmError, type ArmErrorDetail } from "../arm-error.ts";
import type { ArmContext, ArmResult } from "../context.ts";
import type { PlannedResource } from "../deployment-engine.ts";

interface OperationEntry {
  operationId: string;
  properties: Record<string, unknown>;
}

// Per emulator (its store), per deployment id (lower case): the operations of the latest run.
const operations = new WeakMap<object, Map<string, OperationEntry[]>>();

const byDeployment = (ctx: ArmContext) => {
  let map = operations.get(ctx.store);
  if (!map) {
    map = new Map();
    operations.set(ctx.store, map);
  }
  return map;
};

const target = (r: PlannedResource) => ({
  id: r.body.id,
  resourceType: r.body.type,
  resourceName: r.body.name,
});

/** The planned resources of a deployment that just started, each `Running`. */
export function recordStarted(
  ctx: ArmContext,
  deploymentId: string,
  planned: readonly PlannedResource[],
): void {
  const timestamp = new Date().toISOString();
  byDeployment(ctx).set(
    deploymentId.toLowerCase(),
    planned.map((r) => ({
      operationId: randomUUID().replaceAll("-", "").toUpperCase().slice(0, 16),
      properties: {
        provisioningOperation: "Create",
        provisioningState: "Running",
        timestamp,
        targetResource: target(r),
      },
    })),
  );
}

/** Ends each operation `Succeeded`, or all `Failed` with the deployment's errors as their statusMessage. */
export function recordFinished(
  ctx: ArmContext,
  deploymentId: string,
  errors: readonly ArmErrorDetail[],
): void {
  const entries = byDeployment(ctx).get(deploymentId.toLowerCase()) ?? [];
  const timestamp = new Date().toISOString();
  for (const entry of entries) {
    const failed = errors.length > 0;
    entry.properties = {
      ...entry.properties,
      provisioningState: failed ? "Failed" : "Succeeded",
      statusCode: failed ? "BadRequest" : "OK",
      timestamp,
      ...(failed ? { statusMessage: { status: "Failed", error: errors[0] } } : {}),
    };
  }
}

export function listDeploymentOperations(
  ctx: ArmContext,
  deploymentId: string | undefined,
  name: string,
): ArmResult {
  if (!deploymentId)
    throw new ArmError(404, "DeploymentNotFound", `Deployment '${name}' could not be found.`);
  const value = (byDeployment(ctx).get(deploymentId.toLowerCase()) ?? []).map((e) => ({
    id: `${deploymentId}/operations/${e.operationId}`,
    operationId: e.operationId,
    properties: e.properties,
  }));
  return { status: 200, body: { value } };
}
