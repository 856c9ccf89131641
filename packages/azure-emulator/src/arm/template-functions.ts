// The ARM template functions the emulator evaluates; an unknown one is an InvalidTemplate, as in ARM.
import { createHash } from "node:crypto";
import { type ExpressionScope, TemplateError } from "./template-scope.ts";

function uniqueString(parts: unknown[]): string {
  const hash = createHash("sha256").update(parts.map(String).join("|")).digest();
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  return [...hash.subarray(0, 13)].map((b) => alphabet[b % 32]).join("");
}

function guid(parts: unknown[]): string {
  const h = createHash("sha1").update(parts.map(String).join("-")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** resourceId([subscriptionId], [resourceGroupName], type, name1, name2, ...). */
function resourceIdOf(args: string[], scope: ExpressionScope, level: "group" | "subscription"): string {
  const typeAt = args.findIndex((a) => a.includes("/"));
  if (typeAt < 0) throw new TemplateError("The resource type must be given as 'Namespace/type'.");
  const before = args.slice(0, typeAt);
  const [namespace, ...types] = String(args[typeAt]).split("/");
  const names = args.slice(typeAt + 1);
  if (names.length !== types.length) {
    throw new TemplateError(
      `Unable to evaluate template language function 'resourceId': the type '${args[typeAt]}' requires ${types.length} resource name argument(s).`,
    );
  }
  const tail = types.map((t, i) => `${t}/${names[i]}`).join("/");
  if (level === "subscription") {
    const sub = before[0] ?? scope.subscriptionId;
    return `/subscriptions/${sub}/providers/${namespace}/${tail}`;
  }
  const sub = before.length === 2 ? before[0] : scope.subscriptionId;
  const rg = before.length >= 1 ? before[before.length - 1] : scope.resourceGroup?.name;
  if (rg === undefined) return `/subscriptions/${sub}/providers/${namespace}/${tail}`;
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/${namespace}/${tail}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function call(name: string, args: unknown[], scope: ExpressionScope): unknown {
  const str = (i: number) => String(args[i] ?? "");
  const num = (i: number) => Number(args[i]);
  const lookup = (table: Record<string, unknown>, what: string) => {
    const key = Object.keys(table).find((k) => k.toLowerCase() === str(0).toLowerCase());
    if (key === undefined) throw new TemplateError(`The template ${what} '${str(0)}' is not found.`);
    return table[key];
  };
  switch (name) {
    case "parameters":
      return lookup(scope.parameters, "parameter");
    case "variables":
      return lookup(scope.variables, "variable");
    case "resourcegroup":
      if (!scope.resourceGroup)
        throw new TemplateError("The template function 'resourceGroup' is not expected at this location.");
      return { ...scope.resourceGroup, properties: { provisioningState: "Succeeded" } };
    case "subscription":
      return {
        id: `/subscriptions/${scope.subscriptionId}`,
        subscriptionId: scope.subscriptionId,
        tenantId: scope.tenantId,
      };
    case "deployment":
      return { name: scope.deploymentName, properties: scope.deploymentProperties ?? {} };
    case "copyindex": {
      const named = typeof args[0] === "string" ? str(0) : undefined;
      const offset = Number(named === undefined ? (args[0] ?? 0) : (args[1] ?? 0));
      if (!scope.copy)
        throw new TemplateError("The template function 'copyIndex' is not expected at this location.");
      if (named === undefined) return scope.copy.index + offset;
      const key = Object.keys(scope.copy.byName).find((k) => k.toLowerCase() === named.toLowerCase());
      if (key === undefined) throw new TemplateError(`The copy loop '${named}' is not found.`);
      return (scope.copy.byName[key] ?? 0) + offset;
    }
    case "reference":
      if (!scope.reference)
        throw new TemplateError("The template function 'reference' is not expected at this location.");
      return scope.reference(
        str(0),
        args[1] === undefined ? undefined : str(1),
        str(2).toLowerCase() === "full",
      );
    case "concat":
      return args.every(Array.isArray) && args.length > 0 ? args.flat() : args.map((a) => String(a)).join("");
    case "format":
      return str(0).replace(/\{(\d+)\}/g, (_m, i: string) => String(args[Number(i) + 1] ?? ""));
    case "tolower":
      return str(0).toLowerCase();
    case "toupper":
      return str(0).toUpperCase();
    case "string":
      return typeof args[0] === "object" ? JSON.stringify(args[0]) : str(0);
    case "int":
      return Number.parseInt(str(0), 10);
    case "add":
      return num(0) + num(1);
    case "sub":
      return num(0) - num(1);
    case "mul":
      return num(0) * num(1);
    case "div":
      return Math.trunc(num(0) / num(1));
    case "mod":
      return num(0) % num(1);
    case "range":
      return Array.from({ length: num(1) }, (_, i) => num(0) + i);
    case "uniquestring":
      return uniqueString(args);
    case "guid":
      return guid(args);
    case "true":
      return true;
    case "false":
      return false;
    case "not":
      return !args[0];
    case "and":
      return args.every(Boolean);
    case "or":
      return args.some(Boolean);
    case "equals":
      return JSON.stringify(args[0]) === JSON.stringify(args[1]);
    case "greater":
      return num(0) > num(1);
    case "less":
      return num(0) < num(1);
    case "if":
      return args[0] ? args[1] : args[2];
    case "coalesce":
      return args.find((a) => a !== null && a !== undefined) ?? null;
    case "empty":
      return (
        args[0] === "" ||
        args[0] == null ||
        (typeof args[0] === "object" && Object.keys(args[0]).length === 0)
      );
    case "length":
      return typeof args[0] === "object" && args[0] ? Object.keys(args[0]).length : str(0).length;
    case "contains":
      if (Array.isArray(args[0])) return args[0].some((v) => JSON.stringify(v) === JSON.stringify(args[1]));
      if (isObject(args[0])) return str(1) in args[0];
      return str(0).includes(str(1));
    case "createarray":
      return [...args];
    case "createobject":
      return Object.fromEntries(
        Array.from({ length: Math.floor(args.length / 2) }, (_, i) => [str(2 * i), args[2 * i + 1]]),
      );
    case "union":
      return args.every(Array.isArray)
        ? [...new Set(args.flat().map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v))
        : Object.assign({}, ...args.filter(isObject));
    case "first":
      return Array.isArray(args[0]) ? args[0][0] : str(0).charAt(0);
    case "last":
      return Array.isArray(args[0]) ? args[0][args[0].length - 1] : str(0).slice(-1);
    case "split":
      return str(0).split(str(1));
    case "replace":
      return str(0).split(str(1)).join(str(2));
    case "substring":
      return str(0).substring(num(1), args[2] === undefined ? undefined : num(1) + num(2));
    case "json":
      try {
        return JSON.parse(str(0));
      } catch {
        throw new TemplateError(`The template function 'json' got invalid JSON '${str(0)}'.`);
      }
    case "uri":
      return new URL(str(1), str(0)).toString();
    case "resourceid":
      return resourceIdOf(args.map(String), scope, "group");
    case "subscriptionresourceid":
      return resourceIdOf(args.map(String), scope, "subscription");
    case "extensionresourceid": {
      const [target = "", type = "", ...names] = args.map(String);
      const [namespace, ...types] = type.split("/");
      return `${target}/providers/${namespace}/${types.map((t, i) => `${t}/${names[i] ?? ""}`).join("/")}`;
    }
    default:
      throw new TemplateError(
        `The template function '${name}' is not valid. Please see https://aka.ms/arm-functions for usage details.`,
      );
  }
}
