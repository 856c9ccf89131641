// Predicts the changes a template deployment would make.
import { whatIfDeployment } from "./deployment-checks.ts";
import { deploymentExample, deploymentInput, deploymentScope } from "./deployment-common.ts";
import { defineOperation } from "./operation.ts";

export const deploymentWhatIf = defineOperation({
  name: "deployment.whatIf",
  summary: "Predict the changes of a template deployment (what-if).",
  kind: "read",
  input: deploymentInput,
  example: deploymentExample,
  actions: ["Microsoft.Resources/deployments/whatIf/action"],
  scope: deploymentScope,
  execute: whatIfDeployment,
});
