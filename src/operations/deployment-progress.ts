// A running deployment's progress: its resource operations as ARM lists them (target resource,
// provisioning state, the error of a failed one), read when a caller asks for the job's status.
import type { ArmClients } from "../azure/arm-clients.ts";
import type { DeploymentInput } from "./deployment-common.ts";
import type { DeploymentOperationProgress, OperationProgress } from "./operation.ts";

/** ARM lists a deployment's operations in pages; a status view shows at most this many. */
const MAX_OPERATIONS = 200;

export async function deploymentProgress(
  p: DeploymentInput,
  ctx: { arm: ArmClients; signal: AbortSignal },
): Promise<OperationProgress> {
  const client = ctx.arm.deployments(p.subscriptionId).deploymentOperations;
  const options = { abortSignal: ctx.signal };
  const pages = p.resourceGroupName
    ? client.list(p.resourceGroupName, p.deploymentName, options)
    : client.listAtSubscriptionScope(p.deploymentName, options);
  const operations: DeploymentOperationProgress[] = [];
  for await (const op of pages) {
    const props = op.properties;
    if (!props) continue;
    const target = props.targetResource;
    const error = props.statusMessage?.error;
    operations.push({
      ...(target?.id ? { resourceId: target.id } : {}),
      ...(target?.resourceType ? { resourceType: target.resourceType } : {}),
      ...(target?.resourceName ? { resourceName: target.resourceName } : {}),
      provisioningState: props.provisioningState ?? "Unknown",
      ...(props.statusCode ? { statusCode: props.statusCode } : {}),
      ...(error?.message
        ? { statusMessage: error.code ? `${error.code}: ${error.message}` : error.message }
        : {}),
    });
    if (operations.length >= MAX_OPERATIONS) break;
  }
  return { operations };
}
