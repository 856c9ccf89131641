// Template deployments at resource-group and subscription scope: PUT (preflight, then asynchronous),
// GET, list, delete, cancel, deployment operations, validate and what-if.
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
  preflightFailed,
  readDeploymentRequest,
} from "../deployment-engine.ts";
import type { OperationOutcome } from "../operations.ts";
import { authorizationFailed, isAuthorized } from "../rbac.ts";
import { StagedStore } from "../staged-store.ts";
import { ResourceError } from "../template-resources.ts";
import {
  type DeploymentOperationRecord,
  type RunEnv,
  type RunResult,
  runTemplate,
  type TemplateLink,
} from "../template-runner.ts";
import { type ResultFormat, whatIfChanges } from "../what-if.ts";
import { requireResourceGroup } from "./resource-groups.ts";

export interface DeploymentPath {
  subscriptionId: string;
  resourceGroup?: string;
  name?: string;
}

export const ACTIVE = new Set(["accepted", "running"]);

function deploymentsRoot(p: DeploymentPath, rgName?: string): string {
  const base = `/subscriptions/${p.subscriptionId}`;
  return `${rgName ? `${base}/resourceGroups/${rgName}` : base}/providers/Microsoft.Resources/deployments`;
}

export function scopeOf(ctx: ArmContext, p: DeploymentPath): { scope: DeploymentScope; root: string } {
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

function runEnv(ctx: ArmContext, req: ArmRequest, apply: boolean): RunEnv {
  return {
    store: apply ? ctx.store : new StagedStore(ctx.store),
    apply,
    tenantId: ctx.tenantId,
    subscriptions: ctx.subscriptions,
    correlationId: req.correlationId,
    authorize: (action, scope) => {
      if (!isAuthorized(req.principal, action, scope))
        throw authorizationFailed(req.principal, action, scope);
    },
    fetchTemplate: ctx.fetchTemplate,
  };
}

interface Planned {
  body: Record<string, unknown>;
  template: unknown;
  link?: TemplateLink;
  mode: "Incremental" | "Complete";
  parameters: Record<string, unknown>;
  env: RunEnv;
  run: RunResult;
}

/** ARM's preflight: the request, the template and every resource checked against a staged store. */
async function plan(ctx: ArmContext, req: ArmRequest, scope: DeploymentScope, id: string): Promise<Planned> {
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
  const request = readDeploymentRequest(
    properties as Record<string, unknown>,
    scope.resourceGroup !== undefined,
  );
  let template: unknown = request.template;
  if (request.templateLink) {
    try {
      template = await ctx.fetchTemplate(request.templateLink);
    } catch (error) {
      if (error instanceof ResourceError) throw new ArmError(400, error.detail.code, error.detail.message);
      throw error;
    }
  }
  const env = runEnv(ctx, req, false);
  const input = { template, parameters: request.parameters, mode: request.mode, link: request.templateLink };
  const run = await execute(input, scope, id, env);
  if (run.errors.length > 0) throw preflightFailed(scope.deploymentName, req.correlationId, run.errors);
  return { body, ...input, ...(request.templateLink ? { link: request.templateLink } : {}), env, run };
}

function execute(
  input: {
    template: unknown;
    parameters: Record<string, unknown>;
    mode: Planned["mode"];
    link?: TemplateLink | undefined;
  },
  scope: DeploymentScope,
  id: string,
  env: RunEnv,
): Promise<RunResult> {
  return runTemplate(
    {
      template: input.template,
      parameters: input.parameters,
      mode: input.mode,
      target: {
        subscriptionId: scope.subscriptionId,
        ...(scope.resourceGroup ? { resourceGroup: scope.resourceGroup } : {}),
      },
      deploymentName: scope.deploymentName,
      deploymentId: id,
      ...(input.link ? { link: input.link } : {}),
    },
    env,
  );
}

function providersOf(run: RunResult) {
  const byNamespace = new Map<string, Set<string>>();
  for (const c of run.changes) {
    const [ns = "", ...rest] = c.type.split("/");
    byNamespace.set(ns, (byNamespace.get(ns) ?? new Set()).add(rest.join("/")));
  }
  return [...byNamespace].map(([namespace, types]) => ({
    namespace,
    resourceTypes: [...types].map((resourceType) => ({ resourceType, locations: [] })),
  }));
}

function deploymentBody(
  id: string,
  name: string,
  planned: Planned,
  req: ArmRequest,
  state: string,
): ArmObject {
  return {
    id,
    name,
    type: "Microsoft.Resources/deployments",
    ...(typeof planned.body.location === "string" ? { location: planned.body.location } : {}),
    ...(planned.body.tags ? { tags: planned.body.tags } : {}),
    properties: {
      templateHash: planned.run.templateHash,
      ...(planned.link ? { templateLink: planned.link } : {}),
      parameters: planned.run.parameters,
      mode: planned.mode,
      provisioningState: state,
      timestamp: new Date().toISOString(),
      duration: "PT0S",
      correlationId: req.correlationId,
      providers: providersOf(planned.run),
      dependencies: planned.run.dependencies,
    },
  };
}

/** Runs the deployment for real when its operation completes, unless it was replaced or cancelled. */
async function complete(
  ctx: ArmContext,
  req: ArmRequest,
  p: DeploymentPath,
  id: string,
  timestamp: unknown,
  planned: Planned,
): Promise<OperationOutcome> {
  const entry = ctx.store.get(id);
  const props = entry?.body.properties as Record<string, unknown> | undefined;
  if (!entry || !props || props.timestamp !== timestamp) {
    return {
      status: "Failed",
      error: { code: "DeploymentNotFound", message: `Deployment '${p.name}' could not be found.` },
    };
  }
  const finish = (state: "Succeeded" | "Failed", extra: Record<string, unknown>, error?: ArmErrorDetail) => {
    const duration = `PT${((Date.now() - Date.parse(String(timestamp))) / 1000).toFixed(3)}S`;
    ctx.store.set("deployment", {
      ...entry.body,
      properties: { ...props, ...extra, provisioningState: state, duration, ...(error ? { error } : {}) },
    });
    ctx.store.recordEffect("PUT", id);
    return error ? { status: "Failed" as const, error } : { status: "Succeeded" as const };
  };
  let run: RunResult;
  try {
    const { scope } = scopeOf(ctx, p);
    run = await execute(planned, scope, id, runEnv(ctx, req, true));
  } catch (error) {
    if (!(error instanceof ArmError)) throw error;
    // No resource was written: the operations its preflight listed as running are not ARM's to show.
    ctx.deployments.operations.delete(id.toLowerCase());
    return finish("Failed", {}, deploymentFailed([{ code: error.code, message: error.message }]));
  }
  for (const [deploymentId, records] of run.operations) ctx.deployments.operations.set(deploymentId, records);
  if (run.errors.length > 0) return finish("Failed", {}, deploymentFailed(run.errors));
  return finish("Succeeded", {
    outputs: run.outputs,
    outputResources: run.changes.map((c) => ({ id: c.id })),
    dependencies: run.dependencies,
  });
}

/**
 * While a deployment runs, ARM lists one operation per resource it is creating, each `Running` (the
 * preflight's records, same ids; the run replaces them with how each ended).
 */
function runningOperations(run: RunResult, id: string): DeploymentOperationRecord[] {
  const timestamp = new Date().toISOString();
  return (run.operations.get(id.toLowerCase()) ?? []).map((r) => ({
    operationId: r.operationId,
    provisioningOperation: r.provisioningOperation,
    provisioningState: "Running",
    timestamp,
    duration: "PT0S",
    targetResource: r.targetResource,
  }));
}

export async function handleDeployment(
  ctx: ArmContext,
  req: ArmRequest,
  p: DeploymentPath,
): Promise<ArmResult> {
  const { scope, root } = scopeOf(ctx, p);
  const name = p.name ?? "";
  const existing = ctx.store.get(`${root}/${name}`)?.body;
  const state = String(
    (existing?.properties as { provisioningState?: string } | undefined)?.provisioningState ?? "",
  );
  const notFound = () => new ArmError(404, "DeploymentNotFound", `Deployment '${name}' could not be found.`);
  switch (req.method) {
    case "HEAD":
      return { status: existing ? 204 : 404 };
    case "GET":
      if (!existing) throw notFound();
      return { status: 200, body: existing };
    case "PUT": {
      if (existing && ACTIVE.has(state.toLowerCase())) {
        throw new ArmError(
          409,
          "DeploymentActive",
          `Unable to edit or replace deployment '${name}': previous deployment from '${String((existing.properties as { timestamp?: string }).timestamp)}' is still active (current provisioning state: '${state}'). Please see https://aka.ms/arm-deploy for usage details.`,
        );
      }
      const id = existing?.id ?? `${root}/${name}`;
      const planned = await plan(ctx, req, scope, id);
      const accepted = deploymentBody(
        id,
        (existing?.name as string | undefined) ?? name,
        planned,
        req,
        "Accepted",
      );
      const timestamp = (accepted.properties as { timestamp: string }).timestamp;
      ctx.store.set("deployment", {
        ...accepted,
        properties: { ...(accepted.properties as object), provisioningState: "Running" },
      });
      ctx.deployments.operations.set(id.toLowerCase(), runningOperations(planned.run, id));
      const lro = ctx.lro();
      const runsMs = lro.deploymentDurationMs ?? lro.durationMs ?? 100;
      const op = ctx.operations.start(req.principal.principalId, runsMs, () =>
        complete(ctx, req, p, id, timestamp, planned),
      );
      ctx.deployments.runs.set(id.toLowerCase(), op.id);
      const statusUrl = `${req.baseUrl}${id}/operationStatuses/${op.id}?api-version=${encodeURIComponent(req.apiVersion)}`;
      // ARM answers 201 for new and redeployed deployments alike.
      return { status: 201, body: accepted, headers: lroHeaders(ctx, statusUrl, "Azure-AsyncOperation") };
    }
    case "DELETE": {
      if (!existing) return { status: 204 };
      if (ACTIVE.has(state.toLowerCase())) {
        throw new ArmError(
          409,
          "DeploymentActive",
          `The deployment '${name}' is still active and cannot be deleted. Cancel it first.`,
        );
      }
      return acceptedOperation(ctx, req, p.subscriptionId, () => {
        for (const removed of ctx.store.removeTree(existing.id)) ctx.store.recordEffect("DELETE", removed);
        ctx.deployments.operations.delete(existing.id.toLowerCase());
        return { status: "Succeeded", noContent: true };
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

export async function validateDeployment(
  ctx: ArmContext,
  req: ArmRequest,
  p: DeploymentPath,
): Promise<ArmResult> {
  const { scope, root } = scopeOf(ctx, p);
  const id = `${root}/${p.name}`;
  const planned = await plan(ctx, req, scope, id);
  const result = deploymentBody(id, p.name ?? "", planned, req, "Succeeded");
  (result.properties as Record<string, unknown>).validatedResources = planned.run.changes.map((c) => ({
    id: c.id,
  }));
  return { status: 200, body: result };
}

export async function whatIfDeployment(
  ctx: ArmContext,
  req: ArmRequest,
  p: DeploymentPath,
): Promise<ArmResult> {
  const { scope, root } = scopeOf(ctx, p);
  const planned = await plan(ctx, req, scope, `${root}/${p.name}`);
  const settings = (planned.body.properties as { whatIfSettings?: { resultFormat?: string } }).whatIfSettings;
  const format: ResultFormat =
    settings?.resultFormat === "ResourceIdOnly" ? "ResourceIdOnly" : "FullResourcePayloads";
  const changes = whatIfChanges(planned.run, ctx.store, format);
  return acceptedOperation(ctx, req, p.subscriptionId, () => ({
    status: "Succeeded",
    result: { status: "Succeeded", properties: { changes } },
  }));
}
