// A deployment's long-running status, its deployment operations, and cancelling it.
import { ArmError } from "../arm-error.ts";
import type { ArmContext, ArmResult } from "../context.ts";
import { ACTIVE, type DeploymentPath, scopeOf } from "./deployments.ts";

export function getDeploymentOperationStatus(ctx: ArmContext, operationId: string): ArmResult {
  const op = ctx.operations.get(operationId);
  if (!op) throw new ArmError(404, "OperationNotFound", `The operation '${operationId}' could not be found.`);
  if (!op.outcome) return { status: 200, body: { status: "Running" } };
  return {
    status: 200,
    body: op.outcome.error
      ? { status: op.outcome.status, error: op.outcome.error }
      : { status: op.outcome.status },
  };
}

/** POST {deployment}/cancel: only an Accepted or Running deployment can be cancelled. */
export function cancelDeployment(ctx: ArmContext, p: DeploymentPath): ArmResult {
  const { root } = scopeOf(ctx, p);
  const entry = ctx.store.get(`${root}/${p.name}`)?.body;
  if (!entry) throw new ArmError(404, "DeploymentNotFound", `Deployment '${p.name}' could not be found.`);
  const props = entry.properties as Record<string, unknown>;
  const opId = ctx.deployments.runs.get(entry.id.toLowerCase());
  if (!ACTIVE.has(String(props.provisioningState).toLowerCase()) || !opId || !ctx.operations.cancel(opId)) {
    throw new ArmError(
      409,
      "DeploymentCannotBeCancelled",
      `The deployment '${p.name}' cannot be cancelled: its provisioning state is '${String(props.provisioningState)}'. Only Accepted or Running deployments can be cancelled.`,
    );
  }
  ctx.store.set("deployment", { ...entry, properties: { ...props, provisioningState: "Canceled" } });
  return { status: 204 };
}

/** GET {deployment}/operations and {deployment}/operations/{operationId}. */
export function listDeploymentOperations(
  ctx: ArmContext,
  p: DeploymentPath,
  operationId?: string,
): ArmResult {
  const { root } = scopeOf(ctx, p);
  const entry = ctx.store.get(`${root}/${p.name}`)?.body;
  if (!entry) throw new ArmError(404, "DeploymentNotFound", `Deployment '${p.name}' could not be found.`);
  const value = (ctx.deployments.operations.get(entry.id.toLowerCase()) ?? []).map(
    ({ operationId: opId, ...properties }) => ({
      id: `${entry.id}/operations/${opId}`,
      operationId: opId,
      properties,
    }),
  );
  if (operationId === undefined) return { status: 200, body: { value } };
  const one = value.find((o) => o.operationId.toLowerCase() === operationId.toLowerCase());
  if (!one)
    throw new ArmError(
      404,
      "DeploymentOperationNotFound",
      `Deployment operation '${operationId}' could not be found.`,
    );
  return { status: 200, body: one };
}
