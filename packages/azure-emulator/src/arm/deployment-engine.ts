// A deployment request's shape and its template's parameters, checked as ARM's preflight checks them.
import { createHash } from "node:crypto";
import { ArmError, type ArmErrorDetail } from "./arm-error.ts";
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

export interface DeploymentRequest {
  mode: "Incremental" | "Complete";
  template?: Record<string, unknown>;
  templateLink?: { uri: string; queryString?: string; contentVersion?: string };
  /** As given: `{ name: { value } }`. */
  parameters: Record<string, unknown>;
}

export function invalidTemplate(message: string): ArmError {
  return new ArmError(400, "InvalidTemplate", `Deployment template validation failed: '${message}'.`);
}

export function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
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

export function typed(type: unknown, value: unknown): TypedValue {
  const name = typeName(type);
  return name.startsWith("Secure") ? { type: name } : { type: name, value };
}

/** The request body's `properties`, checked for what ARM refuses before it looks at the template. */
export function readDeploymentRequest(
  properties: Record<string, unknown>,
  atGroup: boolean,
): DeploymentRequest {
  const mode =
    String(properties.mode ?? "Incremental").toLowerCase() === "complete" ? "Complete" : "Incremental";
  if (mode === "Complete" && !atGroup) {
    throw new ArmError(
      400,
      "InvalidDeployment",
      "The deployment mode 'Complete' is not supported for this scope.",
    );
  }
  if (properties.template === undefined && properties.templateLink === undefined) {
    throw new ArmError(
      400,
      "InvalidRequestContent",
      "The request content was invalid and could not be deserialized: 'Required property 'template' or 'templateLink' not found in JSON.'.",
    );
  }
  const link = asObject(properties.templateLink);
  if (properties.template === undefined && typeof link.uri !== "string") {
    throw new ArmError(
      400,
      "InvalidRequestContent",
      "The request content was invalid and could not be deserialized: 'Required property 'uri' not found in 'templateLink'.'.",
    );
  }
  return {
    mode,
    ...(properties.template !== undefined ? { template: checkTemplate(properties.template) } : {}),
    ...(properties.template === undefined
      ? {
          templateLink: {
            uri: String(link.uri),
            ...(typeof link.queryString === "string" ? { queryString: link.queryString } : {}),
            ...(typeof link.contentVersion === "string" ? { contentVersion: link.contentVersion } : {}),
          },
        }
      : {}),
    parameters: asObject(properties.parameters),
  };
}

/** The checks ARM makes of a template's outline before it evaluates anything. */
export function checkTemplate(template: unknown): Record<string, unknown> {
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
  return t;
}

/** Binds given parameter values to the template's declarations; defaults and allowed values included. */
export function bindParameters(
  template: Record<string, unknown>,
  given: Record<string, unknown>,
  scope: ExpressionScope,
): { values: Record<string, unknown>; parameters: Record<string, TypedValue> } {
  const declared = asObject(template.parameters);
  const unknown = Object.keys(given).filter(
    (k) => !Object.keys(declared).some((d) => d.toLowerCase() === k.toLowerCase()),
  );
  if (unknown.length > 0) {
    throw invalidTemplate(
      `The template parameters '${unknown.join(", ")}' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time. The only supported parameters for this template are '${Object.keys(declared).join(", ")}'. Please see https://aka.ms/arm-pass-parameter-values for usage details`,
    );
  }
  const values: Record<string, unknown> = {};
  const parameters: Record<string, TypedValue> = {};
  try {
    for (const [name, definition] of Object.entries(declared)) {
      const def = asObject(definition);
      const key = Object.keys(given).find((k) => k.toLowerCase() === name.toLowerCase());
      let value: unknown;
      if (key !== undefined) value = asObject(given[key]).value;
      else if ("defaultValue" in def) value = evaluate(def.defaultValue, { ...scope, parameters: values });
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
      parameters[name] = typed(def.type, value);
    }
  } catch (error) {
    if (error instanceof TemplateError) throw invalidTemplate(error.message);
    throw error;
  }
  return { values, parameters };
}

export function templateHash(value: unknown): string {
  return BigInt(
    `0x${createHash("sha256")
      .update(JSON.stringify(value ?? null))
      .digest("hex")
      .slice(0, 16)}`,
  ).toString();
}

export function deploymentFailed(details: ArmErrorDetail[]): ArmErrorDetail {
  return {
    code: "DeploymentFailed",
    message:
      "At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.",
    details,
  };
}

/** ARM's preflight answer: 400 InvalidTemplateDeployment wrapping PreflightValidationCheckFailed. */
export function preflightFailed(deploymentName: string, trackingId: string, details: ArmErrorDetail[]) {
  return new ArmError(
    400,
    "InvalidTemplateDeployment",
    `The template deployment '${deploymentName}' is not valid according to the validation procedure. The tracking id is '${trackingId}'. See inner errors for details.`,
    {
      details: [
        {
          code: "PreflightValidationCheckFailed",
          message: "Preflight validation failed. Please refer to the details for the specific errors.",
          details,
        },
      ],
    },
  );
}
