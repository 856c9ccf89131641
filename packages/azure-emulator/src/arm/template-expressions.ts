// A small evaluator for ARM template expressions ("[concat(parameters('p'), '-vm')]").
import { createHash } from "node:crypto";

export class TemplateError extends Error {}

export interface ExpressionScope {
  parameters: Record<string, unknown>;
  variables: Record<string, unknown>;
  subscriptionId: string;
  tenantId: string;
  resourceGroup?: { id: string; name: string; location: string };
  deploymentName: string;
}

type Node =
  | { kind: "literal"; value: unknown }
  | { kind: "call"; name: string; args: Node[] }
  | { kind: "member"; target: Node; property: Node };

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) i++;
    else if ("(),.[]".includes(c)) tokens.push(text.charAt(i++));
    else if (c === "'") {
      let s = "'";
      i++;
      while (i < text.length) {
        if (text.charAt(i) === "'" && text.charAt(i + 1) === "'") {
          s += "'";
          i += 2;
        } else if (text.charAt(i) === "'") break;
        else s += text.charAt(i++);
      }
      if (i >= text.length) throw new TemplateError(`Unterminated string in expression '${text}'.`);
      i++;
      tokens.push(s);
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i));
      if (!m) throw new TemplateError(`Unexpected character '${c}' in expression '${text}'.`);
      tokens.push(m[0]);
      i += m[0].length;
    }
  }
  return tokens;
}

function parse(text: string): Node {
  const tokens = tokenize(text);
  let pos = 0;
  const expect = (t: string) => {
    if (tokens[pos] !== t) throw new TemplateError(`Expected '${t}' in expression '${text}'.`);
    pos++;
  };
  const primary = (): Node => {
    const t = tokens[pos++];
    if (t === undefined) throw new TemplateError(`Unexpected end of expression '${text}'.`);
    if (t.startsWith("'")) return { kind: "literal", value: t.slice(1) };
    if (/^-?\d+$/.test(t)) return { kind: "literal", value: Number(t) };
    expect("(");
    const args: Node[] = [];
    while (tokens[pos] !== ")") {
      args.push(expression());
      if (tokens[pos] === ",") pos++;
      else if (tokens[pos] !== ")") throw new TemplateError(`Expected ',' or ')' in expression '${text}'.`);
    }
    pos++;
    return { kind: "call", name: t.toLowerCase(), args };
  };
  const expression = (): Node => {
    let node = primary();
    for (;;) {
      if (tokens[pos] === ".") {
        pos++;
        node = { kind: "member", target: node, property: { kind: "literal", value: tokens[pos++] } };
      } else if (tokens[pos] === "[") {
        pos++;
        const property = expression();
        expect("]");
        node = { kind: "member", target: node, property };
      } else return node;
    }
  };
  const node = expression();
  if (pos !== tokens.length) throw new TemplateError(`Unexpected '${tokens[pos]}' in expression '${text}'.`);
  return node;
}

function uniqueString(parts: unknown[]): string {
  const hash = createHash("sha256").update(parts.map(String).join("|")).digest();
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  return [...hash.subarray(0, 13)].map((b) => alphabet[b % 32]).join("");
}

function call(name: string, args: unknown[], scope: ExpressionScope): unknown {
  const str = (i: number) => String(args[i] ?? "");
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
      return { name: scope.deploymentName };
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
    case "uniquestring":
      return uniqueString(args);
    case "true":
      return true;
    case "false":
      return false;
    case "equals":
      return JSON.stringify(args[0]) === JSON.stringify(args[1]);
    case "if":
      return args[0] ? args[1] : args[2];
    case "empty":
      return (
        args[0] === "" ||
        args[0] == null ||
        (typeof args[0] === "object" && Object.keys(args[0]).length === 0)
      );
    case "length":
      return typeof args[0] === "object" && args[0] ? Object.keys(args[0]).length : str(0).length;
    case "resourceid": {
      const [type = "", ...names] = args.map(String);
      const [ns, ...types] = type.split("/");
      const tail = types.map((t, i) => `${t}/${names[i] ?? ""}`).join("/");
      const rg = scope.resourceGroup?.name ?? "";
      return `/subscriptions/${scope.subscriptionId}/resourceGroups/${rg}/providers/${ns}/${tail}`;
    }
    default:
      throw new TemplateError(
        `The template function '${name}' is not valid. Please see https://aka.ms/arm-functions for usage details.`,
      );
  }
}

function run(node: Node, scope: ExpressionScope): unknown {
  if (node.kind === "literal") return node.value;
  if (node.kind === "call")
    return call(
      node.name,
      node.args.map((a) => run(a, scope)),
      scope,
    );
  const target = run(node.target, scope) as Record<string, unknown> | undefined;
  const property = String(run(node.property, scope));
  if (target === null || typeof target !== "object" || !(property in target)) {
    throw new TemplateError(`The language expression property '${property}' doesn't exist.`);
  }
  return target[property];
}

/** Evaluates every "[...]" string inside `value`; "[[" escapes a literal bracket. */
export function evaluate(value: unknown, scope: ExpressionScope): unknown {
  if (typeof value === "string") {
    if (value.startsWith("[[")) return value.slice(1);
    if (value.startsWith("[") && value.endsWith("]")) return run(parse(value.slice(1, -1)), scope);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => evaluate(v, scope));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v, scope)]));
  }
  return value;
}
