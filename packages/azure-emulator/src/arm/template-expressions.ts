// A small evaluator for ARM template expressions ("[concat(parameters('p'), '-vm')]").
import { call } from "./template-functions.ts";
import { type ExpressionScope, TemplateError, UNKNOWN } from "./template-scope.ts";

export { type ExpressionScope, TemplateError, UNKNOWN };

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
    if (t === "null" && tokens[pos] !== "(") return { kind: "literal", value: null };
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

function run(node: Node, scope: ExpressionScope): unknown {
  if (node.kind === "literal") return node.value;
  if (node.kind === "call")
    return call(
      node.name,
      node.args.map((a) => run(a, scope)),
      scope,
    );
  const target = run(node.target, scope) as Record<string, unknown> | undefined;
  if ((target as unknown) === UNKNOWN) return UNKNOWN;
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
