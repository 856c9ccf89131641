// Predicts the changes a template deployment would make; answered only when every change lies
// inside the caller's grants, so what-if tells nothing about what the caller could not deploy.
import { deploymentExample, deploymentInput, deploymentScope } from "./deployment-common.ts";
import { guardDeployment } from "./deployment-guard.ts";
import { defineOperation } from "./operation.ts";

export const deploymentWhatIf = defineOperation({
  name: "deployment.whatIf",
  summary: "Predict the changes of a template deployment (what-if).",
  kind: "read",
  input: deploymentInput,
  example: deploymentExample,
  actions: ["Microsoft.Resources/deployments/whatIf/action"],
  scope: deploymentScope,
  preflight: async (p, ctx) => {
    await guardDeployment(p, ctx);
  },
  execute: async (p, ctx) => ({ changes: await guardDeployment(p, ctx) }),
});
