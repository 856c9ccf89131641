// Runs a template deployment (incremental or complete) to its terminal state; outputs go in the result.
// A dry run validates and runs what-if instead.
import { restorePoller } from "@azure/arm-resourcesdeployments";
import { isRestError } from "@azure/core-rest-pipeline";
import { validateDeployment, whatIfDeployment } from "./deployment-checks.ts";
import {
  capturingOptions,
  deploymentBody,
  deploymentExample,
  deploymentFailure,
  deploymentFields,
  deploymentScope,
  withDeploymentChecks,
} from "./deployment-common.ts";
import { trackedWrite } from "./long-running.ts";
import { defineOperation } from "./operation.ts";
import { dryRun } from "./params.ts";

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

const input = withDeploymentChecks(deploymentFields.extend({ dryRun }));

export const deploymentCreate = defineOperation({
  name: "deployment.create",
  summary: "Run a template deployment at resource-group or subscription scope; long-running.",
  kind: "write",
  input,
  example: deploymentExample,
  // What-if (checked before every write) and validate (dry runs), then the deployment and what its
  // template writes: the grant's `resourceTypes`, or any type without them.
  actions: [
    "Microsoft.Resources/deployments/write",
    "Microsoft.Resources/deployments/read",
    "Microsoft.Resources/deployments/whatIf/action",
    "Microsoft.Resources/deployments/validate/action",
    "{resourceType}/write",
    "{resourceType}/read",
  ],
  scope: (p) => deploymentScope(p),
  async execute(p, ctx) {
    if (p.dryRun) {
      return {
        dryRun: true,
        validation: await validateDeployment(p, ctx),
        whatIf: await whatIfDeployment(p, ctx),
      };
    }
    const deployments = ctx.arm.deployments(p.subscriptionId);
    const client = deployments.deployments;
    const { options, rethrow } = capturingOptions(ctx);
    const body = deploymentBody(p);
    const group = p.resourceGroupName;
    try {
      const deployment = await trackedWrite(
        ctx,
        () =>
          group
            ? client.createOrUpdate(group, p.deploymentName, body, options)
            : client.createOrUpdateAtSubscriptionScope(
                p.deploymentName,
                { ...body, location: p.location ?? "" },
                options,
              ),
        (state) =>
          restorePoller(
            deployments,
            state,
            group ? client.createOrUpdate : client.createOrUpdateAtSubscriptionScope,
            options,
          ),
      );
      return {
        id: deployment.id,
        provisioningState: deployment.properties?.provisioningState,
        outputs: plainOutputs(deployment.properties?.outputs),
        correlationId: deployment.properties?.correlationId,
      };
    } catch (err) {
      // A deployment that ran and ended Failed: its structured error lives on the deployment.
      if (!isRestError(err) && !ctx.signal.aborted) throw await deploymentFailure(client, p, ctx);
      return rethrow(err);
    }
  },
});
