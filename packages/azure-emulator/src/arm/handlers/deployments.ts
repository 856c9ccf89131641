// Template deployments at resource-group and subscription scope: PUT (async), GET, list, delete, validate, what-if.
import { ArmError, type ArmErrorDetail } from "../arm-error.ts";
import type { ArmObject } from "../arm-store.ts";
import {
  type ArmContext,
  type ArmRequest,
  type ArmResult,
  acceptedOperation,
  lroHeaders,
  objectBody,
} from "../context.ts";
import {
  type DeploymentScope,
  deploymentFailed,
  type PreparedDeployment,
  planResources,
  prepareDeployment,
  whatIfChanges,
} from "../deployment-engine.ts";
import { authorizationFailed, isAuthorized } from "../rbac.ts";
import { requireResourceGroup } from "./resource-groups.ts";

export interface DeploymentPath {
  subscriptionId: string;
  resourceGroup?: string;
  name?: string;
}

function deploymentsRoot(p: DeploymentPath, rgName?: string): string {
  const base = `/subscriptions/${p.subscriptionId}`;
  return `${rgName ? `${base}/resourceGroups/${rgName}` : base}/providers/Microsoft.Resources/deployments`;
}

function scopeOf(ctx: ArmContext, p: DeploymentPath): { scope: DeploymentScope; root: string } {
  let resourceGroup: DeploymentScope["resourceGroup"];
  if (p.resourceGroup !== undefined) {
    const rg = requireResourceGroup(ctx, p.subscriptionId, p.resourceGroup);
    resourceGroup = { id: rg.id, name: String(rg.name), location: String(rg.location) };
  }
  const scope = {
    subscriptionId: p.subscriptionId,
    tenantId: ctx.tenantId,
    deploymentName: p.name ?? "",
    resourceGroup,
  };
  return { scope, root: deploymentsRoot(p, resourceGroup?.name) };
}

function prepare(ctx: ArmContext, req: ArmRequest, scope: DeploymentScope) {
  const body = objectBody(req);
  const properties = body.properties;
  if (!properties || typeof properties !== "object") {
    throw new ArmError(
      400,
      "InvalidRequestContent",
      "The request content was invalid and could not be deserialized: 'Required property 'properties' not found in JSON.'.",
    );
  }
  if (!scope.resourceGroup && typeof body.location !== "string") {
    throw new ArmError(
      400,
      "LocationRequired",
      `The 'location' property must be specified for '${scope.deploymentName}'. Please see https://aka.ms/arm-deployment-subscription for usage details.`,
    );
  }
  const prepared = prepareDeployment(properties as Record<string, unknown>, scope);
  const plan = planResources(prepared, scope, ctx.store);
  for (const p of plan.planned) {
    const action = p.type
      ? `${p.type.fullType}/write`
      : "Microsoft.Resources/subscriptions/resourceGroups/write";
    if (!isAuthorized(req.principal, action, p.id)) throw authorizationFailed(req.principal, action, p.id);
  }
  return { body, prepared, plan };
}

function deploymentBody(
  id: string,
  name: string,
  body: Record<string, unknown>,
  prepared: PreparedDeployment,
  req: ArmRequest,
  state: string,
): ArmObject {
  return {
    id,
    name,
    type: "Microsoft.Resources/deployments",
    ...(typeof body.location === "string" ? { location: body.location } : {}),
    ...(body.tags ? { tags: body.tags } : {}),
    properties: {
      templateHash: prepared.templateHash,
      ...(prepared.templateLink ? { templateLink: prepared.templateLink } : {}),
      parameters: prepared.parameters,
      mode: prepared.mode,
      provisioningState: state,
      timestamp: new Date().toISOString(),
      duration: "PT0S",
      correlationId: req.correlationId,
      providers: [],
      dependencies: [],
    },
  };
}

function complete(
  ctx: ArmContext,
  p: DeploymentPath,
  id: string,
  timestamp: unknown,
  prepared: PreparedDeployment,
) {
  const entry = ctx.store.get(id);
  const props = entry?.body.properties as Record<string, unknown> | undefined;
  if (!entry || !props || props.timestamp !== timestamp) {
    return {
      status: "Failed" as const,
      error: { code: "DeploymentNotFound", message: `Deployment '${p.name}' could not be found.` },
    };
  }
  const finish = (state: "Succeeded" | "Failed", extra: Record<string, unknown>, error?: ArmErrorDetail) => {
    const started = Date.parse(String(timestamp));
    const duration = `PT${((Date.now() - started) / 1000).toFixed(3)}S`;
    ctx.store.set("deployment", {
      ...entry.body,
      properties: { ...props, ...extra, provisioningState: state, duration, ...(error ? { error } : {}) },
    });
    ctx.store.recordEffect("PUT", id);
    return error ? { status: "Failed" as const, error } : { status: "Succeeded" as const };
  };
  let scope: DeploymentScope;
  try {
    scope = scopeOf(ctx, p).scope;
  } catch (error) {
    if (!(error instanceof ArmError)) throw error;
    return finish("Failed", {}, deploymentFailed([{ code: error.code, message: error.message }]));
  }
  const { planned, errors } = planResources(prepared, scope, ctx.store);
  if (errors.length > 0) return finish("Failed", {}, deploymentFailed(errors));
  for (const r of planned) {
    ctx.store.set(r.kind, r.body);
    ctx.store.recordEffect("PUT", r.body.id);
  }
  if (prepared.mode === "Complete" && scope.resourceGroup) {
    const keep = new Set(planned.map((r) => r.id.toLowerCase()));
    for (const e of ctx.store.below(scope.resourceGroup.id, "resource")) {
      if (e.body.id.split("/").length === 9 && !keep.has(e.body.id.toLowerCase())) {
        for (const removed of ctx.store.removeTree(e.body.id)) ctx.store.recordEffect("DELETE", removed);
      }
    }
  }
  return finish("Succeeded", {
    outputs: prepared.outputs,
    outputResources: planned.map((r) => ({ id: r.body.id })),
  });
}

export function handleDeployment(ctx: ArmContext, req: ArmRequest, p: DeploymentPath): ArmResult {
  const { scope, root } = scopeOf(ctx, p);
  const name = p.name ?? "";
  const existing = ctx.store.get(`${root}/${name}`)?.body;
  const notFound = () => new ArmError(404, "DeploymentNotFound", `Deployment '${name}' could not be found.`);
  switch (req.method) {
    case "HEAD":
      return { status: existing ? 204 : 404 };
    case "GET":
      if (!existing) throw notFound();
      return { status: 200, body: existing };
    case "PUT": {
      const { body, prepared } = prepare(ctx, req, scope);
      const id = existing?.id ?? `${root}/${name}`;
      const accepted = deploymentBody(
        id,
        (existing?.name as string | undefined) ?? name,
        body,
        prepared,
        req,
        "Accepted",
      );
      const timestamp = (accepted.properties as { timestamp: string }).timestamp;
      ctx.store.set("deployment", {
        ...accepted,
        properties: { ...(accepted.properties as object), provisioningState: "Running" },
      });
      const op = ctx.operations.start(req.principal.principalId, ctx.lro().durationMs ?? 100, () =>
        complete(ctx, p, id, timestamp, prepared),
      );
      const statusUrl = `${req.baseUrl}${id}/operationStatuses/${op.id}?api-version=${encodeURIComponent(req.apiVersion)}`;
      return {
        status: 201, // ARM answers 201 for new and redeployed deployments alike
        body: accepted,
        headers: lroHeaders(ctx, statusUrl, "Azure-AsyncOperation"),
      };
    }
    case "DELETE": {
      if (!existing) return { status: 204 };
      return acceptedOperation(ctx, req, p.subscriptionId, () => {
        for (const removed of ctx.store.removeTree(existing.id)) ctx.store.recordEffect("DELETE", removed);
        return { status: "Succeeded" };
      });
    }
    default:
      throw new ArmError(405, "MethodNotAllowed", `The requested method '${req.method}' is not allowed.`);
  }
}

export function listDeployments(ctx: ArmContext, p: DeploymentPath): ArmResult {
  const { root } = scopeOf(ctx, p);
  return { status: 200, body: { value: ctx.store.below(root, "deployment").map((e) => e.body) } };
}

export function getDeploymentOperationStatus(ctx: ArmContext, operationId: string): ArmResult {
  const op = ctx.operations.get(operationId);
  if (!op) throw new ArmError(404, "OperationNotFound", `The operation '${operationId}' could not be found.`);
  if (!op.outcome) return { status: 200, body: { status: "Running" } };
  return {
    status: 200,
    body: op.outcome.error
      ? { status: op.outcome.status, error: op.outcome.error }
      : { status: op.outcome.status },
  };
}

export function validateDeployment(ctx: ArmContext, req: ArmRequest, p: DeploymentPath): ArmResult {
  const { scope, root } = scopeOf(ctx, p);
  const { body, prepared, plan } = prepare(ctx, req, scope);
  if (plan.errors.length > 0) {
    throw new ArmError(
      400,
      "InvalidTemplateDeployment",
      `The template deployment '${p.name}' is not valid according to the validation procedure. The tracking id is '${req.correlationId}'. See inner errors for details.`,
      { details: plan.errors },
    );
  }
  const result = deploymentBody(`${root}/${p.name}`, p.name ?? "", body, prepared, req, "Succeeded");
  (result.properties as Record<string, unknown>).validatedResources = plan.planned.map((r) => ({
    id: r.body.id,
  }));
  return { status: 200, body: result };
}

export function whatIfDeployment(ctx: ArmContext, req: ArmRequest, p: DeploymentPath): ArmResult {
  const { scope } = scopeOf(ctx, p);
  const { prepared } = prepare(ctx, req, scope);
  return acceptedOperation(ctx, req, p.subscriptionId, () => ({
    status: "Succeeded",
    result: { status: "Succeeded", properties: { changes: whatIfChanges(prepared, scope, ctx.store) } },
  }));
}
