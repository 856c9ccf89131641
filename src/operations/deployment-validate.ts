// Validates a template deployment without running it, once what-if showed every change inside the
// caller's grants (a validation must not tell what the caller could not deploy either).
import { validateDeployment } from "./deployment-checks.ts";
import { deploymentExample, deploymentInput, deploymentScope } from "./deployment-common.ts";
import { guardDeployment } from "./deployment-guard.ts";
import { defineOperation } from "./operation.ts";

export const deploymentValidate = defineOperation({
  name: "deployment.validate",
  summary: "Validate a template deployment at resource-group or subscription scope.",
  kind: "read",
  input: deploymentInput,
  example: deploymentExample,
  // What-if first: the validation is answered only for changes inside the grants.
  actions: [
    "Microsoft.Resources/deployments/validate/action",
    "Microsoft.Resources/deployments/whatIf/action",
  ],
  scope: deploymentScope,
  preflight: async (p, ctx) => {
    await guardDeployment(p, ctx);
  },
  async execute(p, ctx) {
    await guardDeployment(p, ctx);
    return validateDeployment(p, ctx);
  },
});
