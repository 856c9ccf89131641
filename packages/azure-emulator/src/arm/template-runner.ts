// Runs a template against a store view: resources in dependency order (dependsOn, and the implicit
// order reference() creates), nested deployments in their own scope and target, Complete mode, outputs.
// Preflight and what-if run it against a staged store; the deployment's completion against the real one.
import { createHash } from "node:crypto";
import type { ArmErrorDetail } from "./arm-error.ts";
import type { ArmObject } from "./arm-store.ts";
import {
  asObject,
  bindParameters,
  checkTemplate,
  invalidTemplate,
  templateHash,
  typed,
} from "./deployment-engine.ts";
import { type ExpressionScope, evaluate, TemplateError, UNKNOWN } from "./template-expressions.ts";
import {
  expandResources,
  type Instance,
  isDeployment,
  named,
  resolveDependencies,
} from "./template-instances.ts";
import { type DeployTarget, ResourceError, writeResource } from "./template-resources.ts";
import type { RunEnv, RunInput, RunResult, TemplateLink } from "./template-run-types.ts";

export type {
  DeploymentOperationRecord,
  RunEnv,
  RunInput,
  RunResult,
  TemplateLink,
} from "./template-run-types.ts";

function settle(value: unknown): unknown {
  if (value === UNKNOWN) return null;
  if (Array.isArray(value)) return value.map(settle);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, settle(v)]));
  }
  return value;
}

function duration(startedAt: number): string {
  return `PT${((Date.now() - startedAt) / 1000).toFixed(3)}S`;
}

function templateScope(t: Record<string, unknown>, input: RunInput, env: RunEnv) {
  if (input.outer) return { scope: { ...input.outer, copy: undefined }, parameters: {} };
  const base: ExpressionScope = {
    parameters: {},
    variables: {},
    subscriptionId: input.target.subscriptionId,
    tenantId: env.tenantId,
    ...(input.target.resourceGroup ? { resourceGroup: input.target.resourceGroup } : {}),
    deploymentName: input.deploymentName,
    deploymentProperties: input.link ? { templateLink: input.link } : {},
  };
  const bound = bindParameters(t, input.parameters, base);
  const scope = { ...base, parameters: bound.values };
  try {
    for (const [name, value] of Object.entries(asObject(t.variables)))
      scope.variables[name] = evaluate(value, scope);
  } catch (error) {
    if (error instanceof TemplateError) throw invalidTemplate(error.message);
    throw error;
  }
  return { scope, parameters: bound.parameters };
}

export async function runTemplate(input: RunInput, env: RunEnv): Promise<RunResult> {
  if ((input.depth ?? 0) > 10) throw invalidTemplate("Nested deployments are limited to a depth of 10");
  const t = checkTemplate(input.template);
  const { scope, parameters } = templateScope(t, input, env);
  const result: RunResult = {
    parameters,
    templateHash: templateHash(t),
    outputs: {},
    changes: [],
    deletions: [],
    unsupported: [],
    errors: [],
    operations: new Map([[input.deploymentId.toLowerCase(), []]]),
    groups: new Set(input.target.resourceGroup ? [input.target.resourceGroup.id.toLowerCase()] : []),
    dependencies: [],
  };
  const instances = expandResources(t.resources as unknown[], scope, input.target);
  resolveDependencies(instances);
  let unresolved = false;

  const reference = (nameOrId: string, apiVersion: string | undefined, full: boolean): unknown => {
    const inst = named(instances, nameOrId)[0];
    if (inst && inst.state !== "done") {
      throw new TemplateError(`The resource '${nameOrId}' is referenced before it is deployed.`);
    }
    const id = inst?.id ?? (nameOrId.startsWith("/") ? nameOrId : undefined);
    if (!id) throw new TemplateError(`The resource '${nameOrId}' is not defined in the template.`);
    const entry = env.store.get(id);
    // A plan cannot know what a resource it creates will report (ARM leaves such references unevaluated).
    if (!env.apply && (entry === undefined || env.store.isPlanned?.(id) === true)) {
      unresolved = true;
      return UNKNOWN;
    }
    if (!entry) {
      throw new ResourceError({
        code: "ResourceNotFound",
        message: `The Resource '${id}' was not found.`,
        target: id,
      });
    }
    return full
      ? { ...entry.body, apiVersion: apiVersion ?? inst?.apiVersion }
      : (entry.body.properties ?? {});
  };
  const evaluateIn = (inst: Instance, value: unknown) => {
    try {
      return settle(evaluate(value, { ...inst.scope, reference }));
    } catch (error) {
      if (error instanceof TemplateError) throw invalidTemplate(error.message);
      throw error;
    }
  };
  /** The instances a resource's expressions reference(), found by evaluating it with a recording reference(). */
  const referenced = (inst: Instance): Instance[] => {
    const found: Instance[] = [];
    const probe = (nameOrId: string) => {
      found.push(...named(instances, nameOrId));
      return UNKNOWN;
    };
    const body: Record<string, unknown> = {
      ...inst.raw,
      dependsOn: undefined,
      condition: undefined,
      copy: undefined,
    };
    if (isDeployment(inst)) body.properties = { ...asObject(inst.raw.properties), template: undefined };
    try {
      evaluate(body, { ...inst.scope, reference: probe });
    } catch {
      // A probe only collects names; the real evaluation reports errors.
    }
    return found.filter((f) => f !== inst);
  };

  const record = (inst: Instance, startedAt: number, error?: ArmErrorDetail) => {
    result.operations.get(input.deploymentId.toLowerCase())?.push({
      operationId: createHash("sha1")
        .update(`${input.deploymentId}|${inst.id}`.toLowerCase())
        .digest("hex")
        .slice(0, 16)
        .toUpperCase(),
      provisioningOperation: "Create",
      provisioningState: error ? "Failed" : "Succeeded",
      timestamp: new Date().toISOString(),
      duration: duration(startedAt),
      statusCode: error ? "BadRequest" : "OK",
      ...(error ? { statusMessage: { error } } : {}),
      targetResource: {
        id: inst.id,
        resourceType: inst.type,
        resourceName: inst.name,
        apiVersion: inst.apiVersion,
      },
    });
  };

  const execute = async (inst: Instance): Promise<void> => {
    if (inst.state === "running") {
      throw invalidTemplate(
        `Circular dependency detected on resource: '${inst.id}'. Please see https://aka.ms/arm-template/#resources for usage details`,
      );
    }
    if (inst.state !== "pending") return;
    inst.state = "running";
    // reference() orders like dependsOn: ARM deploys a referenced resource of the template first.
    const deps = [...inst.deps, ...(inst.enabled ? referenced(inst) : [])];
    for (const d of deps) await execute(d);
    if (!inst.enabled || deps.some((d) => d.state === "failed")) {
      inst.state = inst.enabled ? "failed" : "done";
      return;
    }
    const startedAt = Date.now();
    try {
      if (inst.error) throw inst.error;
      if (isDeployment(inst)) await runNested(inst);
      else
        result.changes.push(
          writeResource(
            evaluateIn(inst, inst.raw) as Record<string, unknown>,
            inst.at as NonNullable<Instance["at"]>,
            input.target,
            env,
          ),
        );
      inst.state = "done";
      record(inst, startedAt);
    } catch (error) {
      if (!(error instanceof ResourceError)) throw error;
      inst.state = "failed";
      if (!error.reported) result.errors.push(error.detail);
      record(inst, startedAt, error.detail);
    }
  };

  const runNested = async (inst: Instance) => {
    const props = asObject(inst.raw.properties);
    const inner =
      String(asObject(props.expressionEvaluationOptions).scope ?? "outer").toLowerCase() === "inner";
    unresolved = false;
    const given = asObject(evaluateIn(inst, props.parameters ?? {}));
    const linkValue =
      props.templateLink === undefined ? undefined : asObject(evaluateIn(inst, props.templateLink));
    const mode =
      String(evaluateIn(inst, props.mode ?? "Incremental")).toLowerCase() === "complete"
        ? "Complete"
        : "Incremental";
    const shortCircuited = unresolved;
    const nested = inst.nested ?? { subscriptionId: input.target.subscriptionId };
    const subscriptionId = env.subscriptions.find(
      (s) => s.toLowerCase() === nested.subscriptionId.toLowerCase(),
    );
    if (!subscriptionId) {
      throw new ResourceError({
        code: "SubscriptionNotFound",
        message: `The subscription '${nested.subscriptionId}' could not be found.`,
        target: inst.id,
      });
    }
    let target: DeployTarget = { subscriptionId };
    if (nested.resourceGroup) {
      const rg = env.store.get(
        `/subscriptions/${subscriptionId}/resourceGroups/${nested.resourceGroup}`,
      )?.body;
      if (!rg) {
        throw new ResourceError({
          code: "ResourceGroupNotFound",
          message: `Resource group '${nested.resourceGroup}' could not be found.`,
          target: inst.id,
        });
      }
      target = {
        subscriptionId,
        resourceGroup: { id: rg.id, name: String(rg.name), location: String(rg.location) },
      };
    }
    env.authorize("Microsoft.Resources/deployments/write", inst.id);
    if (shortCircuited) {
      result.unsupported.push({
        id: inst.id,
        reason:
          "A nested deployment got short-circuited and all its resources got skipped from validation. This is due to a nested template having a parameter that was not fully evaluated (e.g. contains a reference() function).",
      });
      return;
    }
    let link: TemplateLink | undefined;
    let template = props.template;
    if (linkValue) {
      link = {
        uri: String(linkValue.uri ?? ""),
        ...(typeof linkValue.queryString === "string" ? { queryString: linkValue.queryString } : {}),
        ...(typeof linkValue.contentVersion === "string" ? { contentVersion: linkValue.contentVersion } : {}),
      };
      template = await env.fetchTemplate(link);
    }
    const startedAt = Date.now();
    const child = await runTemplate(
      {
        template,
        parameters: given,
        target,
        deploymentName: inst.name,
        deploymentId: inst.id,
        mode,
        ...(!inner && !link ? { outer: inst.scope } : {}),
        ...(link ? { link } : {}),
        depth: (input.depth ?? 0) + 1,
      },
      env,
    );
    result.changes.push(...child.changes);
    result.deletions.push(...child.deletions);
    result.unsupported.push(...child.unsupported);
    for (const g of child.groups) result.groups.add(g);
    for (const [k, v] of child.operations) result.operations.set(k, v);
    const failed = child.errors.length > 0;
    const body: ArmObject = {
      id: inst.id,
      name: inst.name,
      type: "Microsoft.Resources/deployments",
      properties: {
        templateHash: child.templateHash,
        ...(link ? { templateLink: link } : {}),
        parameters: child.parameters,
        mode,
        provisioningState: failed ? "Failed" : "Succeeded",
        timestamp: new Date().toISOString(),
        duration: duration(startedAt),
        correlationId: env.correlationId,
        outputs: child.outputs,
        outputResources: child.changes.map((c) => ({ id: c.id })),
        dependencies: child.dependencies,
        ...(failed
          ? {
              error: {
                code: "DeploymentFailed",
                message: "At least one resource deployment operation failed.",
                details: child.errors,
              },
            }
          : {}),
      },
    };
    env.store.set("deployment", body);
    if (failed) {
      result.errors.push(...child.errors);
      const wrapper = {
        code: "DeploymentFailed",
        message: `The nested deployment '${inst.name}' failed.`,
        target: inst.id,
      };
      throw new ResourceError(wrapper, { reported: true });
    }
  };

  for (const inst of instances) await execute(inst);
  if (input.mode === "Complete" && input.target.resourceGroup)
    removeUnlisted(input.target.resourceGroup.id, result, env);
  result.dependencies = instances
    .filter((i) => i.deps.length > 0)
    .map((i) => ({
      id: i.id,
      resourceType: i.type,
      resourceName: i.name,
      dependsOn: i.deps.map((d) => ({ id: d.id, resourceType: d.type, resourceName: d.name })),
    }));
  try {
    for (const [name, definition] of Object.entries(asObject(t.outputs))) {
      const def = asObject(definition);
      result.outputs[name] = typed(def.type, settle(evaluate(def.value, { ...scope, reference })));
    }
  } catch (error) {
    if (error instanceof TemplateError) throw invalidTemplate(error.message);
    if (error instanceof ResourceError) result.errors.push(error.detail);
    else throw error;
  }
  return result;
}

/** Complete mode: top-level resources of the group that the deployment does not list are removed. */
function removeUnlisted(groupId: string, result: RunResult, env: RunEnv): void {
  const keep = new Set(result.changes.map((c) => c.id.toLowerCase()));
  for (const entry of env.store.below(groupId, "resource")) {
    const id = entry.body.id;
    if (id.split("/").length !== 9 || keep.has(id.toLowerCase())) continue;
    result.deletions.push({
      id,
      kind: "resource",
      type: String(entry.body.type),
      apiVersion: "",
      before: entry.body,
    });
    for (const removed of env.store.removeTree(id)) env.store.recordEffect("DELETE", removed);
  }
}
