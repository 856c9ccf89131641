// After a lost response or a crash, a deployment's PUT may already have reached ARM. ARM answers a
// second PUT of a running deployment with 409 DeploymentActive and redeploys a finished one, so
// armbridge reads the deployment first and, when this job started it (same correlation id), follows
// it to its end or takes its finished result instead of sending the PUT again.
import { setTimeout as delay } from "node:timers/promises";
import type { DeploymentExtended } from "@azure/arm-resourcesdeployments";
import { isRestError } from "../azure/errors.ts";
import { currentAttribution } from "../telemetry/attribution.ts";
import { type DeploymentInput, deploymentFailure } from "./deployment-common.ts";
import type { Applied, OperationContext } from "./operation.ts";

const ACTIVE = new Set(["accepted", "running", "creating", "updating", "waiting", "deploying"]);

/** Output types whose values are secrets: never stored with the job, returned or logged. */
const SECURE_TYPES = new Set(["securestring", "secureobject"]);

/**
 * The deployment's outputs as name -> value, without secure ones: ARM types each output, and a
 * `secureString` or `secureObject` would otherwise land in the job's result and every copy of it.
 */
export function plainOutputs(outputs: unknown): Record<string, unknown> {
  const typed = (outputs ?? {}) as Record<string, { type?: unknown; value?: unknown } | undefined>;
  return Object.fromEntries(
    Object.entries(typed)
      .filter(([, v]) => !SECURE_TYPES.has(String(v?.type ?? "").toLowerCase()))
      .map(([k, v]) => [k, v?.value]),
  );
}

/** What deployment.create returns for a finished deployment. */
export function deploymentResult(deployment: DeploymentExtended) {
  return {
    id: deployment.id,
    provisioningState: deployment.properties?.provisioningState,
    outputs: plainOutputs(deployment.properties?.outputs),
    correlationId: deployment.properties?.correlationId,
  };
}

/** The deployment this job already started, followed to its end; not applied when there is none. */
export async function resumeDeployment(p: DeploymentInput, ctx: OperationContext): Promise<Applied> {
  const correlationId = currentAttribution()?.correlationId;
  if (!correlationId) return { applied: false };
  const client = ctx.arm.deployments(p.subscriptionId).deployments;
  const group = p.resourceGroupName;
  const read = () =>
    group
      ? client.get(group, p.deploymentName, { abortSignal: ctx.signal })
      : client.getAtSubscriptionScope(p.deploymentName, { abortSignal: ctx.signal });
  let deployment: DeploymentExtended;
  try {
    deployment = await read();
  } catch (err) {
    if (isRestError(err) && err.statusCode === 404) return { applied: false };
    throw err;
  }
  if (deployment.properties?.correlationId !== correlationId) return { applied: false };
  while (ACTIVE.has(String(deployment.properties?.provisioningState).toLowerCase())) {
    await delay(ctx.arm.pollIntervalMs, undefined, { signal: ctx.signal });
    deployment = await read();
  }
  if (deployment.properties?.provisioningState === "Succeeded") {
    return { applied: true, result: deploymentResult(deployment) };
  }
  throw await deploymentFailure(client, p, ctx);
}
