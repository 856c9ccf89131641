// Runs a template deployment (incremental or complete) to its terminal state; outputs go in the result.
// A dry run validates and runs what-if instead. A retried attempt resumes the deployment it started.
import { isRestError } from "../azure/errors.ts";
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
import { deploymentResult, resumeDeployment } from "./deployment-resume.ts";
import { trackedWrite } from "./long-running.ts";
import { defineOperation } from "./operation.ts";
import { dryRun } from "./params.ts";

const input = withDeploymentChecks(deploymentFields.extend({ dryRun }));

export const deploymentCreate = defineOperation({
  name: "deployment.create",
  summary: "Run a template deployment at resource-group or subscription scope; long-running.",
  kind: "write",
  input,
  example: deploymentExample,
  actions: ["Microsoft.Resources/deployments/write", "Microsoft.Resources/deployments/read"],
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
          ctx.arm.restoreDeploymentPoller(
            deployments,
            state,
            group ? client.createOrUpdate : client.createOrUpdateAtSubscriptionScope,
            options,
          ),
      );
      return deploymentResult(deployment);
    } catch (err) {
      // This job's own PUT reached ARM before (a lost response): follow that deployment instead.
      if (isRestError(err) && err.statusCode === 409 && err.code === "DeploymentActive") {
        const resumed = await resumeDeployment(p, ctx);
        if (resumed.applied) return resumed.result;
      }
      // A deployment that ran and ended Failed: its structured error lives on the deployment.
      if (!isRestError(err) && !ctx.signal.aborted) throw await deploymentFailure(client, p, ctx);
      return rethrow(err);
    }
  },
  // A PUT that may have reached ARM is never sent blind again: ARM would refuse it (409) or redeploy.
  async checkApplied(p, ctx) {
    return p.dryRun ? { applied: false } : resumeDeployment(p, ctx);
  },
});
