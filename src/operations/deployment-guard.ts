// Before a template deployment writes anything (and before its what-if or validation is answered),
// ARM's own what-if names every resource it would touch, nested deployments in other groups and
// subscriptions included; each must lie inside the caller's grants. Guessing from the template text
// would miss `resourceGroup:`/`subscriptionId:` on nested deployments, `scope` on extension
// resources, linked templates and expressions.
import { ArmOperationError } from "../azure/errors.ts";
import { whatIfDeployment } from "./deployment-checks.ts";
import type { DeploymentInput } from "./deployment-common.ts";
import type { OperationContext } from "./operation.ts";

export interface PredictedChange {
  resourceId: string;
  changeType: string;
  unsupportedReason?: string;
}

/** A change the caller may not make, and why (naming the resource and what was asked, never grants). */
export interface RefusedChange {
  resourceId: string;
  reason: string;
}

/** Resources of the template that ARM will write (a NoChange resource is still sent again). */
const WRITTEN = new Set(["create", "modify", "delete", "deploy", "nochange"]);
/** Resources outside the template that an Incremental deployment leaves alone. */
const UNTOUCHED = new Set(["ignore"]);

/** The changes outside the grants: unknown change types and Unsupported ones included (fail closed). */
export function refusedChanges(changes: readonly PredictedChange[], ctx: OperationContext): RefusedChange[] {
  return changes.flatMap((c): RefusedChange[] => {
    const type = c.changeType.toLowerCase();
    if (UNTOUCHED.has(type)) return [];
    if (!WRITTEN.has(type)) {
      const why = c.unsupportedReason ? `: ${c.unsupportedReason}` : "";
      return [
        {
          resourceId: c.resourceId,
          reason: `what-if cannot predict the change to '${c.resourceId || "(unnamed resource)"}' (${c.changeType}${why})`,
        },
      ];
    }
    const reason = ctx.authorizeChange(c.resourceId);
    return reason ? [{ resourceId: c.resourceId, reason }] : [];
  });
}

/** The refusal of a deployment: a job failure (403, never retried) that names the resources. */
export function outsideGrants(refused: readonly RefusedChange[]): ArmOperationError {
  const ids = refused.map((r) => r.resourceId || "(unnamed resource)");
  return new ArmOperationError(
    "DeploymentOutsideGrants",
    `the deployment would change resources outside the caller's grants: ${ids.join(", ")}`,
    403,
    refused.map((r) => ({ code: "ChangeOutsideGrants", target: r.resourceId, message: r.reason })),
  );
}

/**
 * What the caller may see of a what-if: every change it may make, and of the resources an Incremental
 * deployment leaves alone (`Ignore`, listed for every group the deployment reaches, nested ones
 * included) only those inside its grants, so a nested deployment into another group does not list
 * that group's resources.
 */
export function visibleChanges(
  changes: readonly PredictedChange[],
  ctx: OperationContext,
): PredictedChange[] {
  return changes.filter(
    (c) => !UNTOUCHED.has(c.changeType.toLowerCase()) || ctx.authorizeChange(c.resourceId) === undefined,
  );
}

/**
 * A dry run's view: each change allowed or refused; a refused one shows its resource and the reason,
 * not what ARM would do to it.
 */
export function decidedChanges(changes: readonly PredictedChange[], ctx: OperationContext) {
  const refused = new Map(refusedChanges(changes, ctx).map((r) => [r.resourceId, r.reason]));
  const decided = visibleChanges(changes, ctx).map((c) => {
    const reason = refused.get(c.resourceId);
    return reason === undefined
      ? { ...c, decision: "allowed" as const }
      : { resourceId: c.resourceId, decision: "refused" as const, reason };
  });
  return { refused: refused.size > 0, changes: decided };
}

/**
 * Runs what-if for the same template and parameters; throws (the deployment is refused) when any
 * change lies outside the grants or what-if fails. Resolves with the predicted changes.
 */
export async function guardDeployment(p: DeploymentInput, ctx: OperationContext): Promise<PredictedChange[]> {
  const { changes } = await whatIfDeployment(p, ctx);
  const refused = refusedChanges(changes, ctx);
  if (refused.length > 0) throw outsideGrants(refused);
  return visibleChanges(changes, ctx);
}
