// The types of a template run: its environment, input, result and deployment operation records.
import type { ArmErrorDetail } from "./arm-error.ts";
import type { TypedValue } from "./deployment-engine.ts";
import type { StoreView } from "./staged-store.ts";
import type { ExpressionScope } from "./template-expressions.ts";
import type { Change, DeployTarget } from "./template-resources.ts";

export interface TemplateLink {
  uri: string;
  queryString?: string;
  contentVersion?: string;
}

export interface RunEnv {
  store: StoreView;
  /** false: a plan (preflight, what-if); references to what the plan creates are predictions. */
  apply: boolean;
  tenantId: string;
  subscriptions: string[];
  correlationId: string;
  authorize: (action: string, scope: string) => void;
  fetchTemplate: (link: TemplateLink) => Promise<unknown>;
}

export interface DeploymentOperationRecord {
  operationId: string;
  provisioningOperation: "Create";
  /** `Running` while the deployment runs (listed from its preflight), then how it ended. */
  provisioningState: "Running" | "Succeeded" | "Failed";
  timestamp: string;
  duration: string;
  /** ARM sets it once the resource's operation has ended. */
  statusCode?: string;
  statusMessage?: { error: ArmErrorDetail };
  targetResource: { id: string; resourceType: string; resourceName: string; apiVersion?: string };
}

export interface RunInput {
  template: unknown;
  parameters: Record<string, unknown>;
  target: DeployTarget;
  deploymentName: string;
  deploymentId: string;
  mode: "Incremental" | "Complete";
  /** Outer evaluation scope of a nested inline template: the parent's parameters, variables, group. */
  outer?: ExpressionScope;
  link?: TemplateLink;
  depth?: number;
}

export interface RunResult {
  parameters: Record<string, TypedValue>;
  templateHash: string;
  outputs: Record<string, TypedValue>;
  /** Resources written, nested deployments' included, in the order they were written. */
  changes: Change[];
  /** Resources Complete mode removes. */
  deletions: Change[];
  /** Nested deployments the plan could not expand, with ARM's reason. */
  unsupported: { id: string; reason: string }[];
  errors: ArmErrorDetail[];
  /** Deployment operations by deployment id (this one and its nested ones). */
  operations: Map<string, DeploymentOperationRecord[]>;
  /** The groups this deployment and its nested ones deploy to. */
  groups: Set<string>;
  dependencies: Record<string, unknown>[];
}
