// Validate and what-if, shared by their own operations and by a dry run of deployment.create.
import { armErrorFromBody } from "../azure/errors.ts";
import { capturingOptions, type DeploymentInput, deploymentBody } from "./deployment-common.ts";
import { untilDone } from "./long-running.ts";
import type { OperationContext } from "./operation.ts";

export async function validateDeployment(p: DeploymentInput, ctx: OperationContext) {
  const client = ctx.arm.deployments(p.subscriptionId).deployments;
  const { options, rethrow } = capturingOptions(ctx);
  const body = deploymentBody(p);
  const result = await untilDone(
    p.resourceGroupName
      ? client.validate(p.resourceGroupName, p.deploymentName, body, options)
      : client.validateAtSubscriptionScope(p.deploymentName, body, options),
    ctx,
  ).catch(rethrow);
  const invalid = result.error ? armErrorFromBody({ error: result.error }, 400) : undefined;
  if (invalid) throw invalid;
  return {
    valid: true,
    validatedResources: (result.properties?.validatedResources ?? []).map((r) => r.id),
  };
}

export async function whatIfDeployment(p: DeploymentInput, ctx: OperationContext) {
  const client = ctx.arm.deployments(p.subscriptionId).deployments;
  const { options, rethrow } = capturingOptions(ctx);
  const body = deploymentBody(p);
  const result = await untilDone(
    p.resourceGroupName
      ? client.whatIf(p.resourceGroupName, p.deploymentName, body, options)
      : client.whatIfAtSubscriptionScope(p.deploymentName, { ...body, location: p.location ?? "" }, options),
    ctx,
  ).catch(rethrow);
  return {
    changes: (result.changes ?? []).map((c) => ({
      resourceId: c.resourceId ?? "",
      changeType: String(c.changeType ?? "Unsupported"),
      ...(c.unsupportedReason ? { unsupportedReason: c.unsupportedReason } : {}),
    })),
  };
}
