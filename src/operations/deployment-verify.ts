// After a deployment: what it really wrote, from its deployment operations (nested deployments'
// too, in whichever group or subscription they ran), checked against the grants once more. What-if
// and the deployment evaluate the template apart (a linked template fetched twice, `utcNow()`), so
// this catches what the check before could not see. It cannot undo the write: the job fails, loudly.
import { ArmOperationError } from "../azure/errors.ts";
import type { DeploymentInput } from "./deployment-common.ts";
import type { OperationContext } from "./operation.ts";

const DEPLOYMENTS = "microsoft.resources/deployments";
/** Nested deployments deeper than ARM allows (it stops at 64) are not followed further. */
const MAX_DEPTH = 64;

interface Where {
  subscriptionId: string;
  resourceGroup: string | undefined;
  name: string;
}

/** `/subscriptions/S[/resourceGroups/G]/providers/Microsoft.Resources/deployments/N` */
function deploymentAt(id: string): Where | undefined {
  const m =
    /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?\/providers\/Microsoft\.Resources\/deployments\/([^/]+)$/i.exec(
      id,
    );
  return m ? { subscriptionId: m[1] as string, resourceGroup: m[2], name: m[3] as string } : undefined;
}

async function written(where: Where, ctx: OperationContext, depth: number, into: string[]): Promise<void> {
  const client = ctx.arm.deployments(where.subscriptionId).deploymentOperations;
  const options = { abortSignal: ctx.signal };
  const operations = where.resourceGroup
    ? client.list(where.resourceGroup, where.name, options)
    : client.listAtSubscriptionScope(where.name, options);
  for await (const op of operations) {
    const target = op.properties?.targetResource;
    if (!target?.id) continue;
    if ((target.resourceType ?? "").toLowerCase() === DEPLOYMENTS) {
      const nested = deploymentAt(target.id);
      if (nested && depth < MAX_DEPTH) await written(nested, ctx, depth + 1, into);
      continue;
    }
    into.push(target.id);
  }
}

/** Throws when the finished deployment wrote a resource outside the caller's grants. */
export async function verifyWritten(p: DeploymentInput, ctx: OperationContext): Promise<void> {
  const ids: string[] = [];
  await written(
    { subscriptionId: p.subscriptionId, resourceGroup: p.resourceGroupName, name: p.deploymentName },
    ctx,
    0,
    ids,
  );
  const outside = [...new Set(ids)].flatMap((id) => {
    const reason = ctx.authorizeChange(id);
    return reason ? [{ id, reason }] : [];
  });
  if (outside.length === 0) return;
  throw new ArmOperationError(
    "DeploymentWroteOutsideGrants",
    `the deployment wrote resources outside the caller's grants that its what-if did not show: ${outside.map((o) => o.id).join(", ")}`,
    403,
    outside.map((o) => ({ code: "WriteOutsideGrants", target: o.id, message: o.reason })),
  );
}
