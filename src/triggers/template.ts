// Parameter templates: `{{ event.data.x }}` and `{{ caller.claims.y }}` rendered from an event and caller.
// A template only produces values; which operation runs is fixed by the route, never by the payload.
// A route's templates are compiled once (parsed into functions of the context), then rendered for each
// event: a batch of 5,000 events does not parse the same expressions 5,000 times.
import { lookupKeys, pathKeys } from "./path.ts";

export interface TemplateContext {
  event: unknown;
  caller: unknown;
}

export class TemplateError extends Error {
  override name = "TemplateError";
}

export type CompiledTemplate = (ctx: TemplateContext) => unknown;

const EXPRESSION = /\{\{\s*(.+?)\s*\}\}/g;
const WHOLE = /^\{\{\s*(.+?)\s*\}\}$/s;
const PATH = /^(event|caller)(\.[A-Za-z_$][\w$-]*|\[\d+\])*$/;

/** Renders every string inside `value`; a string that is exactly one expression keeps the value's type. */
export function renderTemplate(value: unknown, ctx: TemplateContext, at = "parameters"): unknown {
  return compileTemplate(value, at)(ctx);
}

/** `value` as a function of the context; what it throws (TemplateError) it throws when rendered, as renderTemplate. */
export function compileTemplate(value: unknown, at = "parameters"): CompiledTemplate {
  if (typeof value === "string") return compileString(value, at);
  if (Array.isArray(value)) {
    const items = value.map((v, i) => compileTemplate(v, `${at}[${i}]`));
    return (ctx) => items.map((item) => item(ctx));
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => [k, compileTemplate(v, `${at}.${k}`)] as const);
    return (ctx) => Object.fromEntries(entries.map(([k, entry]) => [k, entry(ctx)]));
  }
  return () => value;
}

function compileString(text: string, at: string): CompiledTemplate {
  const whole = WHOLE.exec(text)?.[1];
  // One expression is the whole string (and not two that happen to start and end it).
  if (whole && !whole.includes("}}")) return compileExpression(whole, at);
  const parts: (string | { expr: string; value: CompiledTemplate })[] = [];
  let from = 0;
  for (const m of text.matchAll(EXPRESSION)) {
    const expr = m[1] as string;
    parts.push(text.slice(from, m.index), { expr, value: compileExpression(expr, at) });
    from = m.index + m[0].length;
  }
  if (parts.length === 0) return () => text;
  parts.push(text.slice(from));
  return (ctx) => {
    let out = "";
    for (const part of parts) {
      if (typeof part === "string") {
        out += part;
        continue;
      }
      const v = part.value(ctx);
      if (v !== null && typeof v === "object")
        throw new TemplateError(`${at}: '${part.expr}' is not a scalar`);
      out += String(v);
    }
    return out;
  };
}

/** `path` or `path ?? "default"`; a missing value without a default is an error, never an empty string. */
function compileExpression(expr: string, at: string): CompiledTemplate {
  const [pathText, fallbackText] = expr.split("??").map((s) => s.trim());
  if (!pathText || !PATH.test(pathText)) {
    return () => {
      throw new TemplateError(`${at}: '${expr}' is not a template path`);
    };
  }
  const keys = pathKeys(pathText);
  return (ctx) => {
    const value = lookupKeys(ctx, keys);
    if (value !== undefined && value !== null) return value;
    if (fallbackText !== undefined) {
      try {
        // Parsed where it is used: a default object is each event's own.
        return JSON.parse(fallbackText);
      } catch {
        throw new TemplateError(`${at}: the default of '${expr}' must be a JSON value`);
      }
    }
    throw new TemplateError(`${at}: '${pathText}' has no value in this event`);
  };
}
