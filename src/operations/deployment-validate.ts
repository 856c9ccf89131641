// Validates a template deployment without running it.

import { validateDeployment } from "./deployment-checks.ts";
import { deploymentExample, deploymentInput, deploymentScope } from "./deployment-common.ts";
import { defineOperation } from "./operation.ts";

export const deploymentValidate = defineOperation({
  name: "deployment.validate",
  summary: "Validate a template deployment at resource-group or subscription scope.",
  kind: "read",
  input: deploymentInput,
  example: deploymentExample,
  actions: ["Microsoft.Resources/deployments/validate/action"],
  scope: deploymentScope,
  execute: validateDeployment,
});
