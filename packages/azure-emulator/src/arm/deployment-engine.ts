// Template deployments kept small but honest: validation, parameters, literal resources, outputs, what-if.
import { createHash } from "node:crypto";
import { ArmError, type ArmErrorDetail } from "./arm-error.ts";
import type { ArmObject, ArmStore } from "./arm-store.ts";
import { LOCATIONS, normalizeLocation } from "./provider-registry.ts";
import { buildResource, comparable, type ResolvedType, resolveType, resourceId } from "./resource-model.ts";
import { type ExpressionScope, evaluate, TemplateError } from "./template-expressions.ts";

export interface DeploymentScope {
  subscriptionId: string;
  tenantId: string;
  deploymentName: string;
  resourceGroup?: { id: string; name: string; location: string };
}

export interface TypedValue {
  type: string;
  value?: unknown;
}

export interface PreparedDeployment {
  mode: "Incremental" | "Complete";
  templateHash: string;
  templateLink?: unknown;
  parameters: Record<string, TypedValue>;
  resources: Record<string, unknown>[];
  outputs: Record<string, TypedValue>;
}

export interface PlannedResource {
  id: string;
  kind: "resource" | "resourceGroup";
  body: ArmObject;
  type?: ResolvedType;
}

function invalidTemplate(message: string): ArmError {
  return new ArmError(400, "InvalidTemplate", `Deployment template validation failed: '${message}'.`);
}

function typeName(type: unknown): string {
  const t = String(type ?? "string").toLowerCase();
  const names: Record<string, string> = {
    string: "String",
    securestring: "SecureString",
    int: "Int",
    bool: "Bool",
    object: "Object",
    secureobject: "SecureObject",
    array: "Array",
  };
  return names[t] ?? String(type);
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Synchronous validation and evaluation; throws 400 InvalidTemplate like ARM's preflight. */
export function prepareDeployment(
  properties: Record<string, unknown>,
  scope: DeploymentScope,
): PreparedDeployment {
  const mode =
    String(properties.mode ?? "Incremental").toLowerCase() === "complete" ? "Complete" : "Incremental";
  if (mode === "Complete" && !scope.resourceGroup) {
    throw new ArmError(
      400,
      "InvalidDeployment",
      "The deployment mode 'Complete' is not supported for this scope.",
    );
  }
  const given = asObject(properties.parameters);
  if (properties.template === undefined && properties.templateLink === undefined) {
    throw new ArmError(
      400,
      "InvalidRequestContent",
      "The request content was invalid and could not be deserialized: 'Required property 'template' or 'templateLink' not found in JSON.'.",
    );
  }
  if (properties.template === undefined) {
    const parameters = Object.fromEntries(
      Object.entries(given).map(([k, v]) => [k, { type: "String", value: asObject(v).value }]),
    );
    return {
      mode,
      templateHash: hash(properties.templateLink),
      templateLink: properties.templateLink,
      parameters,
      resources: [],
      outputs: {},
    };
  }
  const template = properties.template;
  if (!template || typeof template !== "object" || Array.isArray(template)) {
    throw invalidTemplate("The template must be a JSON object");
  }
  const t = template as Record<string, unknown>;
  if (typeof t.$schema !== "string") {
    throw invalidTemplate("Required property '$schema' not found in JSON. Path '', line 1, position 1");
  }
  if (!Array.isArray(t.resources)) {
    throw invalidTemplate("The template 'resources' property must be an array");
  }
  const declared = asObject(t.parameters);
  const unknown = Object.keys(given).filter(
    (k) => !Object.keys(declared).some((d) => d.toLowerCase() === k.toLowerCase()),
  );
  if (unknown.length > 0) {
    throw invalidTemplate(
      `The template parameters '${unknown.join(", ")}' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time. The only supported parameters for this template are '${Object.keys(declared).join(", ")}'. Please see https://aka.ms/arm-pass-parameter-values for usage details`,
    );
  }
  const exprScope: ExpressionScope = { ...scope, parameters: {}, variables: {} };
  const values: Record<string, unknown> = {};
  const parameters: Record<string, TypedValue> = {};
  try {
    for (const [name, definition] of Object.entries(declared)) {
      const def = asObject(definition);
      const key = Object.keys(given).find((k) => k.toLowerCase() === name.toLowerCase());
      let value: unknown;
      if (key !== undefined) value = asObject(given[key]).value;
      else if ("defaultValue" in def)
        value = evaluate(def.defaultValue, { ...exprScope, parameters: values });
      else {
        throw invalidTemplate(
          `The value for the template parameter '${name}' at line '1' and column '1' is not provided. Please see https://aka.ms/arm-create-parameter-file for usage details`,
        );
      }
      const allowed = def.allowedValues;
      if (Array.isArray(allowed) && !allowed.some((a) => JSON.stringify(a) === JSON.stringify(value))) {
        throw invalidTemplate(
          `The provided value '${String(value)}' for the template parameter '${name}' is not valid. The parameter value is not part of the allowed value(s): '${allowed.join(",")}'`,
        );
      }
      values[name] = value;
      const type = typeName(def.type);
      parameters[name] = type.startsWith("Secure") ? { type } : { type, value };
    }
    exprScope.parameters = values;
    for (const [name, value] of Object.entries(asObject(t.variables))) {
      exprScope.variables[name] = evaluate(value, exprScope);
    }
    const resources = (t.resources as unknown[]).map((r) => {
      const resource = asObject(r);
      const evaluated = asObject(
        evaluate({ ...resource, dependsOn: undefined, condition: undefined }, exprScope),
      );
      if (resource.condition !== undefined && !evaluate(resource.condition, exprScope)) return undefined;
      if (typeof evaluated.type !== "string" || typeof evaluated.name !== "string") {
        throw invalidTemplate("The template resource must have 'type' and 'name' properties");
      }
      return evaluated;
    });
    const outputs: Record<string, TypedValue> = {};
    for (const [name, definition] of Object.entries(asObject(t.outputs))) {
      const def = asObject(definition);
      outputs[name] = { type: typeName(def.type), value: evaluate(def.value, exprScope) };
    }
    return {
      mode,
      templateHash: hash(template),
      parameters,
      resources: resources.filter((r): r is Record<string, unknown> => r !== undefined),
      outputs,
    };
  } catch (error) {
    if (error instanceof TemplateError) throw invalidTemplate(error.message);
    throw error;
  }
}

function hash(value: unknown): string {
  return BigInt(
    `0x${createHash("sha256")
      .update(JSON.stringify(value ?? null))
      .digest("hex")
      .slice(0, 16)}`,
  ).toString();
}

/** Maps template resources onto the registry; unknown types become error details, not exceptions. */
export function planResources(
  prepared: PreparedDeployment,
  scope: DeploymentScope,
  store: ArmStore,
): { planned: PlannedResource[]; errors: ArmErrorDetail[] } {
  const planned: PlannedResource[] = [];
  const errors: ArmErrorDetail[] = [];
  for (const r of prepared.resources) {
    const [namespace = "", ...types] = String(r.type).split("/");
    const names = String(r.name).split("/");
    const apiVersion = String(r.apiVersion ?? "");
    if (!scope.resourceGroup) {
      if (String(r.type).toLowerCase() === "microsoft.resources/resourcegroups" && names.length === 1) {
        const location = normalizeLocation(String(r.location ?? ""));
        if (!LOCATIONS[location]) {
          errors.push({
            code: "LocationRequired",
            message: `The location '${String(r.location)}' is not valid.`,
          });
          continue;
        }
        const id = `/subscriptions/${scope.subscriptionId}/resourceGroups/${names[0]}`;
        const existing = store.get(id)?.body;
        planned.push({
          id,
          kind: "resourceGroup",
          body: {
            id: existing?.id ?? id,
            name: existing?.name ?? names[0],
            type: "Microsoft.Resources/resourceGroups",
            location,
            tags: r.tags ?? {},
            properties: { provisioningState: "Succeeded" },
          },
        });
      } else {
        errors.push({
          code: "InvalidResourceType",
          message: `The resource type '${String(r.type)}' cannot be deployed at subscription scope by the emulator; deploy it to a resource group.`,
        });
      }
      continue;
    }
    if (types.length === 0 || names.length !== types.length) {
      errors.push({
        code: "InvalidTemplate",
        message: `The resource name '${String(r.name)}' and type '${String(r.type)}' must have the same number of segments.`,
      });
      continue;
    }
    try {
      const type = resolveType(namespace, types.join("/"), apiVersion, r.location as string | undefined);
      const id = resourceId(
        scope.subscriptionId,
        scope.resourceGroup.name,
        type.provider.namespace,
        type.info.resourceType.split("/"),
        names,
      );
      const existing = store.get(id)?.body;
      const body = buildResource(id, names[names.length - 1] ?? "", type, r, existing);
      planned.push({ id, kind: "resource", body, type });
    } catch (error) {
      if (!(error instanceof ArmError)) throw error;
      errors.push({ code: error.code, message: error.message });
    }
  }
  return { planned, errors };
}

export function deploymentFailed(details: ArmErrorDetail[]): ArmErrorDetail {
  return {
    code: "DeploymentFailed",
    message:
      "At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.",
    details,
  };
}

/** Changes the deployment would make, compared with the store. */
export function whatIfChanges(
  prepared: PreparedDeployment,
  scope: DeploymentScope,
  store: ArmStore,
): Record<string, unknown>[] {
  const { planned, errors } = planResources(prepared, scope, store);
  const changes: Record<string, unknown>[] = planned.map((p) => {
    const before = store.get(p.id)?.body;
    if (!before) return { resourceId: p.body.id, changeType: "Create", after: p.body };
    const a = comparable(before);
    const b = comparable(p.body);
    const delta = Object.keys(b)
      .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
      .map((path) => ({ path, propertyChangeType: "Modify", before: a[path], after: b[path] }));
    return {
      resourceId: before.id,
      changeType: delta.length ? "Modify" : "NoChange",
      before,
      after: p.body,
      ...(delta.length ? { delta } : {}),
    };
  });
  for (const e of errors)
    changes.push({ resourceId: "", changeType: "Unsupported", unsupportedReason: e.message });
  if (prepared.mode === "Complete" && scope.resourceGroup) {
    const keep = new Set(planned.map((p) => p.id.toLowerCase()));
    for (const entry of store.below(scope.resourceGroup.id, "resource")) {
      if (entry.body.id.split("/").length === 9 && !keep.has(entry.body.id.toLowerCase())) {
        changes.push({ resourceId: entry.body.id, changeType: "Delete", before: entry.body });
      }
    }
  }
  return changes;
}
