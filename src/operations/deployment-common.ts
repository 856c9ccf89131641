// What the template deployment operations share: the input, the scope, the ARM request body, and
// turning ARM's answers (including those the SDK reports without a code) into structured errors.

import type { DeploymentParameter, DeploymentsOperations } from "@azure/arm-resourcesdeployments";
import type { FullOperationResponse } from "@azure-rest/core-client";
import { z } from "zod";
import { ArmOperationError, armErrorFromBody } from "../azure/errors.ts";
import { lroOptions } from "./long-running.ts";
import type { OperationContext } from "./operation.ts";
import {
  deploymentName,
  EXAMPLE_SUBSCRIPTION,
  location,
  resourceGroupName,
  subscriptionId,
} from "./params.ts";

const parameterValue = z.union([
  z.strictObject({ value: z.unknown() }),
  z.strictObject({
    reference: z.strictObject({ keyVault: z.strictObject({ id: z.string() }), secretName: z.string() }),
  }),
]);

export const deploymentFields = z.strictObject({
  subscriptionId,
  /** Omitted: a subscription-scope deployment, which needs `location`. */
  resourceGroupName: resourceGroupName.optional(),
  deploymentName,
  location: location.optional(),
  template: z.record(z.string(), z.unknown()).optional(),
  templateLink: z
    .strictObject({ uri: z.url({ protocol: /^https$/ }), contentVersion: z.string().optional() })
    .optional(),
  /** `{ name: { value } }` as ARM takes them, or plain `{ name: value }`. */
  parameters: z.record(z.string(), z.unknown()).default({}),
  mode: z.enum(["Incremental", "Complete"]).default("Incremental"),
});

type DeploymentFields = z.output<typeof deploymentFields>;

/** The checks that span fields, for the deployment input and its extensions. */
export function withDeploymentChecks<S extends z.ZodType<DeploymentFields>>(schema: S): S {
  return schema
    .refine(
      (p) => (p.template === undefined) !== (p.templateLink === undefined),
      "give exactly one of template, templateLink",
    )
    .refine((p) => p.resourceGroupName !== undefined || p.location !== undefined, {
      message: "a subscription-scope deployment needs a location",
      path: ["location"],
    })
    .refine((p) => p.resourceGroupName !== undefined || p.mode === "Incremental", {
      message: "Complete mode exists only for resource-group deployments",
      path: ["mode"],
    });
}

export const deploymentInput = withDeploymentChecks(deploymentFields);

/** A resource-group deployment of a one-resource template, for the OpenAPI document. */
export const deploymentExample = {
  subscriptionId: EXAMPLE_SUBSCRIPTION,
  resourceGroupName: "app-web",
  deploymentName: "web-release-42",
  template: {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: { name: { type: "string" } },
    resources: [
      {
        type: "Microsoft.Storage/storageAccounts",
        apiVersion: "2023-05-01",
        name: "[parameters('name')]",
        location: "westeurope",
        sku: { name: "Standard_LRS" },
        kind: "StorageV2",
      },
    ],
  },
  parameters: { name: "appwebdata" },
  mode: "Incremental" as const,
};
export type DeploymentInput = DeploymentFields;

export function deploymentScope(p: DeploymentInput): string {
  return p.resourceGroupName
    ? `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroupName}`
    : `/subscriptions/${p.subscriptionId}`;
}

export function deploymentBody(p: DeploymentInput) {
  const parameters: Record<string, DeploymentParameter> = Object.fromEntries(
    Object.entries(p.parameters).map(([k, v]) => {
      const given = parameterValue.safeParse(v);
      return [k, given.success ? (given.data as DeploymentParameter) : { value: v }];
    }),
  );
  return {
    ...(p.resourceGroupName ? {} : { location: p.location as string }),
    properties: {
      mode: p.mode,
      ...(p.template ? { template: p.template } : {}),
      ...(p.templateLink ? { templateLink: p.templateLink } : {}),
      parameters,
    },
  };
}

/**
 * Options for a deployments call that remember ARM's last error body: the SDK reports a failed
 * validate or what-if as a bare "long-running operation has failed", without ARM's code.
 */
export function capturingOptions(ctx: OperationContext) {
  let failure: ArmOperationError | undefined;
  return {
    options: {
      ...lroOptions(ctx),
      onResponse: (response: FullOperationResponse) => {
        if (response.status >= 400)
          failure = armErrorFromBody(response.parsedBody, response.status) ?? failure;
      },
    },
    rethrow(err: unknown): never {
      throw failure ?? err;
    },
  };
}

/** A deployment that ended Failed: ARM's structured error, read from the deployment itself. */
export async function deploymentFailure(
  client: DeploymentsOperations,
  p: DeploymentInput,
  ctx: OperationContext,
) {
  const deployment = p.resourceGroupName
    ? await client.get(p.resourceGroupName, p.deploymentName, { abortSignal: ctx.signal })
    : await client.getAtSubscriptionScope(p.deploymentName, { abortSignal: ctx.signal });
  const error = deployment.properties?.error;
  return new ArmOperationError(
    error?.code ?? "DeploymentFailed",
    error?.message ?? `deployment '${p.deploymentName}' ended ${deployment.properties?.provisioningState}`,
    undefined,
    error?.details,
  );
}
