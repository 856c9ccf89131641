// Runs a template deployment (incremental or complete) to its terminal state; outputs go in the result.
// What-if is checked against the caller's grants first, and what it wrote after; a dry run shows
// that check and validates. A retried attempt resumes the deployment it started.
import { ArmOperationError, isRestError } from "../azure/errors.ts";
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
import { decidedChanges, guardDeployment } from "./deployment-guard.ts";
import { deploymentProgress } from "./deployment-progress.ts";
import { deploymentResult, resumeDeployment } from "./deployment-resume.ts";
import { verifyWritten } from "./deployment-verify.ts";
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
  // What-if (checked before every write) and validate (dry runs), then the deployment and what its
  // template writes: the grant's `resourceTypes`, or any type without them.
  actions: [
    "Microsoft.Resources/deployments/write",
    "Microsoft.Resources/deployments/read",
    "Microsoft.Resources/deployments/whatIf/action",
    "Microsoft.Resources/deployments/validate/action",
    "Microsoft.Resources/deployments/operations/read",
    "{resourceType}/write",
    "{resourceType}/read",
  ],
  scope: (p) => deploymentScope(p),
  // A running deployment's resource operations, shown by the job's status.
  progress: (p, ctx) => (p.dryRun ? Promise.resolve({ operations: [] }) : deploymentProgress(p, ctx)),
  // A dry run is answered with the refused changes in its result instead.
  preflight: async (p, ctx) => {
    if (!p.dryRun) await guardDeployment(p, ctx);
  },
  async execute(p, ctx) {
    if (p.dryRun) {
      // Which changes would be refused, and validation only when none would.
      const whatIf = decidedChanges((await whatIfDeployment(p, ctx)).changes, ctx);
      return {
        dryRun: true,
        decision: whatIf.refused ? "refused" : "allowed",
        whatIf: { changes: whatIf.changes },
        validation: whatIf.refused ? null : await validateDeployment(p, ctx),
      };
    }
    // Nothing is written unless every change what-if predicts lies inside the caller's grants.
    // (A resumed deployment was checked before its write was first sent.)
    if (!ctx.resumeFrom) await guardDeployment(p, ctx);
    const deployments = ctx.arm.deployments(p.subscriptionId);
    const client = deployments.deployments;
    const { options, rethrow } = capturingOptions(ctx);
    const body = deploymentBody(p);
    const group = p.resourceGroupName;
    let deployment: Awaited<ReturnType<typeof client.get>>;
    try {
      deployment = await trackedWrite(
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
    } catch (err) {
      // This job's own PUT reached ARM before (a lost response): follow that deployment instead.
      if (isRestError(err) && err.statusCode === 409 && err.code === "DeploymentActive") {
        const resumed = await resumeDeployment(p, ctx);
        if (resumed.applied) {
          await verifyWritten(p, ctx);
          return resumed.result;
        }
      }
      if (isRestError(err) || ctx.signal.aborted) return rethrow(err);
      // A deployment that ran and ended Failed: its structured error lives on the deployment. What it
      // wrote before it failed is checked all the same, and a write outside the grants is the worse news.
      const failure = await deploymentFailure(client, p, ctx);
      await verifyWritten(p, ctx).catch((check: unknown) => {
        if (check instanceof ArmOperationError && check.code === "DeploymentWroteOutsideGrants") throw check;
      });
      throw failure;
    }
    // What it really wrote, nested deployments included, against the grants once more.
    await verifyWritten(p, ctx);
    return deploymentResult(deployment);
  },
  // A PUT that may have reached ARM is never sent blind again: ARM would refuse it (409) or redeploy.
  async checkApplied(p, ctx) {
    if (p.dryRun) return { applied: false };
    const resumed = await resumeDeployment(p, ctx);
    if (resumed.applied) await verifyWritten(p, ctx);
    return resumed;
  },
});
