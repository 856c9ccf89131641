// What template expressions are evaluated against, and the error they raise.

export class TemplateError extends Error {}

/** What `reference()` answers while a deployment is only planned: any member of it is itself. */
export const UNKNOWN: unique symbol = Symbol("unknown reference");

export interface ExpressionScope {
  parameters: Record<string, unknown>;
  variables: Record<string, unknown>;
  subscriptionId: string;
  tenantId: string;
  resourceGroup?: { id: string; name: string; location: string };
  deploymentName: string;
  /** deployment().properties, e.g. the templateLink a linked template was fetched from. */
  deploymentProperties?: Record<string, unknown>;
  /** The current copy loop's name and index, and the indexes of the loops by name. */
  copy?: { name: string; index: number; byName: Record<string, number> };
  /** reference(nameOrId, apiVersion, 'Full'): the runner resolves it against the deployment's state. */
  reference?: (nameOrId: string, apiVersion: string | undefined, full: boolean) => unknown;
}
