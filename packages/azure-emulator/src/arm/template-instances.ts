// A template's resources as instances: copy loops expanded, conditions and locations evaluated,
// dependsOn resolved to instances and checked for unknown names and cycles, as ARM's preflight does.
import { invalidTemplate } from "./deployment-engine.ts";
import { type ExpressionScope, evaluate, TemplateError } from "./template-expressions.ts";
import { type DeployTarget, type Located, locate, ResourceError } from "./template-resources.ts";

export interface Instance {
  raw: Record<string, unknown>;
  /** The scope the instance is evaluated in (its copy index included), without reference(). */
  scope: ExpressionScope;
  type: string;
  name: string;
  apiVersion: string;
  id: string;
  at?: Located;
  /** For a nested deployment: where it deploys. */
  nested?: { subscriptionId: string; resourceGroup?: string };
  copyName?: string;
  enabled: boolean;
  deps: Instance[];
  state: "pending" | "running" | "done" | "failed";
  error?: ResourceError;
}

const DEPLOYMENTS = "microsoft.resources/deployments";

export function isDeployment(i: Instance): boolean {
  return i.type.toLowerCase() === DEPLOYMENTS;
}

function asText(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

function instance(
  raw: Record<string, unknown>,
  scope: ExpressionScope,
  target: DeployTarget,
  copyName?: string,
): Instance {
  const header = (key: string) => asText(evaluate(raw[key], scope));
  const type = header("type") ?? "";
  const name = header("name") ?? "";
  if (!type || !name) throw invalidTemplate("The template resource must have 'type' and 'name' properties");
  const enabled = raw.condition === undefined ? true : Boolean(evaluate(raw.condition, scope));
  const base = {
    raw,
    scope,
    type,
    name,
    apiVersion: header("apiVersion") ?? "",
    enabled,
    deps: [],
    state: "pending" as const,
    ...(copyName ? { copyName } : {}),
  };
  if (type.toLowerCase() === DEPLOYMENTS) {
    const subscriptionId = header("subscriptionId") ?? target.subscriptionId;
    const resourceGroup = header("resourceGroup") ?? target.resourceGroup?.name;
    const where = resourceGroup
      ? `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`
      : `/subscriptions/${subscriptionId}`;
    return {
      ...base,
      id: `${where}/providers/Microsoft.Resources/deployments/${name}`,
      nested: { subscriptionId, ...(resourceGroup ? { resourceGroup } : {}) },
    };
  }
  try {
    const at = locate(type, name, header("scope"), target);
    return { ...base, id: at.id, at };
  } catch (error) {
    if (!(error instanceof ResourceError)) throw error;
    return { ...base, id: `${target.resourceGroup?.id ?? ""}/${type}/${name}`, error };
  }
}

/** Every resource of the template, copy loops expanded in order. */
export function expandResources(
  resources: unknown[],
  scope: ExpressionScope,
  target: DeployTarget,
): Instance[] {
  const out: Instance[] = [];
  try {
    for (const r of resources) {
      if (!r || typeof r !== "object" || Array.isArray(r))
        throw invalidTemplate("A template resource must be an object");
      const raw = r as Record<string, unknown>;
      const copy = raw.copy as Record<string, unknown> | undefined;
      if (!copy) {
        out.push(instance(raw, scope, target));
        continue;
      }
      const name = String(copy.name ?? "");
      const count = Number(evaluate(copy.count, scope));
      if (!name || !Number.isInteger(count) || count < 0 || count > 800) {
        throw invalidTemplate(
          `The copy loop '${name}' must have a name and an integer count between 0 and 800`,
        );
      }
      for (let index = 0; index < count; index++) {
        const byName = { ...(scope.copy?.byName ?? {}), [name]: index };
        out.push(instance(raw, { ...scope, copy: { name, index, byName } }, target, name));
      }
    }
  } catch (error) {
    if (error instanceof TemplateError) throw invalidTemplate(error.message);
    throw error;
  }
  return out;
}

function matches(i: Instance, ref: string): boolean {
  const r = ref.toLowerCase();
  return (
    i.id.toLowerCase() === r ||
    i.name.toLowerCase() === r ||
    `${i.type}/${i.name}`.toLowerCase() === r ||
    i.copyName?.toLowerCase() === r
  );
}

/** The instances a dependsOn entry or a reference() argument names (a copy loop names all of its own). */
export function named(instances: Instance[], ref: string): Instance[] {
  return instances.filter((i) => matches(i, ref));
}

/** Resolves dependsOn; unknown names and cycles are InvalidTemplate, as in ARM. */
export function resolveDependencies(instances: Instance[]): void {
  for (const i of instances) {
    const list = i.raw.dependsOn;
    if (list === undefined) continue;
    if (!Array.isArray(list))
      throw invalidTemplate(`The 'dependsOn' of resource '${i.name}' must be an array`);
    for (const entry of list) {
      let ref: string;
      try {
        ref = String(evaluate(entry, i.scope));
      } catch (error) {
        if (error instanceof TemplateError) throw invalidTemplate(error.message);
        throw error;
      }
      const found = named(instances, ref);
      if (found.length === 0) {
        throw invalidTemplate(
          `The resource '${ref}' is not defined in the template. Please see https://aka.ms/arm-syntax for usage details`,
        );
      }
      i.deps.push(...found.filter((f) => f !== i));
    }
  }
  const seen = new Map<Instance, "visiting" | "done">();
  const visit = (i: Instance) => {
    if (seen.get(i) === "done") return;
    if (seen.get(i) === "visiting") {
      throw invalidTemplate(
        `Circular dependency detected on resource: '${i.id}'. Please see https://aka.ms/arm-template/#resources for usage details`,
      );
    }
    seen.set(i, "visiting");
    for (const d of i.deps) visit(d);
    seen.set(i, "done");
  };
  for (const i of instances) visit(i);
}
