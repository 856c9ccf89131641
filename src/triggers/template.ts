// Parameter templates: `{{ event.data.x }}` and `{{ caller.claims.y }}` rendered from an event and caller.
// A template only produces values; which operation runs is fixed by the route, never by the payload.
import { lookupPath } from "./path.ts";

export interface TemplateContext {
  event: unknown;
  caller: unknown;
}

export class TemplateError extends Error {
  override name = "TemplateError";
}

const EXPRESSION = /\{\{\s*(.+?)\s*\}\}/g;
const WHOLE = /^\{\{\s*(.+?)\s*\}\}$/s;
const PATH = /^(event|caller)(\.[A-Za-z_$][\w$-]*|\[\d+\])*$/;

/** Renders every string inside `value`; a string that is exactly one expression keeps the value's type. */
export function renderTemplate(value: unknown, ctx: TemplateContext, at = "parameters"): unknown {
  if (typeof value === "string") return renderString(value, ctx, at);
  if (Array.isArray(value)) return value.map((v, i) => renderTemplate(v, ctx, `${at}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, renderTemplate(v, ctx, `${at}.${k}`)]),
    );
  }
  return value;
}

function renderString(text: string, ctx: TemplateContext, at: string): unknown {
  const whole = WHOLE.exec(text)?.[1];
  // One expression is the whole string (and not two that happen to start and end it).
  if (whole && !whole.includes("}}")) return evaluate(whole, ctx, at);
  return text.replace(EXPRESSION, (_m, expr: string) => {
    const v = evaluate(expr, ctx, at);
    if (v !== null && typeof v === "object") throw new TemplateError(`${at}: '${expr}' is not a scalar`);
    return String(v);
  });
}

/** `path` or `path ?? "default"`; a missing value without a default is an error, never an empty string. */
function evaluate(expr: string, ctx: TemplateContext, at: string): unknown {
  const [pathText, fallbackText] = expr.split("??").map((s) => s.trim());
  if (!pathText || !PATH.test(pathText)) throw new TemplateError(`${at}: '${expr}' is not a template path`);
  const value = lookupPath(ctx, pathText);
  if (value !== undefined && value !== null) return value;
  if (fallbackText !== undefined) {
    try {
      return JSON.parse(fallbackText);
    } catch {
      throw new TemplateError(`${at}: the default of '${expr}' must be a JSON value`);
    }
  }
  throw new TemplateError(`${at}: '${pathText}' has no value in this event`);
}
