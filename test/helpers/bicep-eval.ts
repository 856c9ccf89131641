// Evaluates the part of Bicep's expression language that deploy/ uses (literals with interpolation,
// arrays, objects, property access, ternaries, comparisons and the functions below), so a test can
// render what a deployment sends, e.g. the VM's userData, for given parameters. Anything else throws:
// the renderer never guesses. Resources are values the test supplies (`{ nic: { id: ... } }`).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

type Value = unknown;
type Token = { kind: "str"; parts: (string | string[])[] } | { kind: "sym" | "id" | "num"; text: string };

function tokenize(src: string, start: number, readStringExpr: (at: number) => [string, number]): Token[] {
  // Tokenizes lazily from `start`; the parser asks for more while it needs them.
  const tokens: Token[] = [];
  let i = start;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) i++;
    else if (src.startsWith("//", i)) i = src.indexOf("\n", i) < 0 ? src.length : src.indexOf("\n", i);
    else if (c === "'") {
      const parts: (string | string[])[] = [];
      let text = "";
      i++;
      while (src[i] !== "'") {
        if (i >= src.length) throw new Error("unterminated string");
        if (src[i] === "\\") {
          const e = src[i + 1] as string;
          text += { n: "\n", r: "\r", t: "\t", "\\": "\\", "'": "'", $: "$" }[e] ?? `\\${e}`;
          i += 2;
        } else if (src.startsWith("${", i)) {
          parts.push(text);
          text = "";
          const [expr, end] = readStringExpr(i + 2);
          parts.push([expr]);
          i = end + 1;
        } else text += src[i++];
      }
      parts.push(text);
      tokens.push({ kind: "str", parts });
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_]\w*/.exec(src.slice(i)) as RegExpExecArray;
      tokens.push({ kind: "id", text: m[0] });
      i += m[0].length;
    } else if (/\d/.test(c)) {
      const m = /^\d+/.exec(src.slice(i)) as RegExpExecArray;
      tokens.push({ kind: "num", text: m[0] });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      const sym = ["==", "!=", "&&", "||", "??", ".?"].includes(two) ? two : c;
      tokens.push({ kind: "sym", text: sym });
      i += sym.length;
    }
  }
  return tokens;
}

/** The end (index of the closing `}`) of a `${...}` interpolation that starts at `at`. */
function interpolationEnd(src: string, at: number): number {
  let depth = 1;
  for (let i = at; i < src.length; i++) {
    if (src[i] === "'") i = src.indexOf("'", i + 1);
    else if (src[i] === "{") depth++;
    else if (src[i] === "}" && --depth === 0) return i;
  }
  throw new Error("unterminated interpolation");
}

export class BicepEvaluator {
  readonly #file: string;
  readonly #text: string;
  readonly #scope: Record<string, Value>;
  readonly #vars = new Map<string, Value>();

  /** `scope`: parameters and the resources the expressions read, by symbolic name. */
  constructor(file: string, scope: Record<string, Value>) {
    this.#file = file;
    this.#text = readFileSync(file, "utf8");
    this.#scope = scope;
  }

  /** Evaluates the expression assigned by `var NAME = ...`, or the body of `resource NAME '...' = ...`. */
  declaration(kind: "var" | "resource", name: string): Value {
    const re =
      kind === "var" ? new RegExp(`^var ${name} = `, "m") : new RegExp(`^resource ${name} '[^']+' = `, "m");
    const m = re.exec(this.#text);
    if (!m) throw new Error(`${this.#file}: no ${kind} ${name}`);
    return this.evaluate(this.#text, m.index + m[0].length);
  }

  evaluate(src: string, start: number): Value {
    const tokens = tokenize(src, start, (at) => {
      const end = interpolationEnd(src, at);
      return [src.slice(at, end), end];
    });
    let pos = 0;
    const stringOf = (t: Extract<Token, { kind: "str" }>) =>
      t.parts.map((p) => (typeof p === "string" ? p : asText(this.evaluate(p[0] as string, 0)))).join("");
    const peek = (text?: string) => {
      const t = tokens[pos];
      return text === undefined ? t : t && t.kind !== "str" && t.text === text;
    };
    const expect = (text: string) => {
      if (!peek(text)) throw new Error(`expected '${text}' near token ${pos}`);
      pos++;
    };
    const expr = (): Value => {
      const cond = binary();
      if (peek("?")) {
        pos++;
        const a = expr();
        expect(":");
        const b = expr();
        return cond ? a : b;
      }
      return cond;
    };
    const binary = (): Value => {
      let left = unary();
      for (;;) {
        const op = peek() as Token | undefined;
        if (op?.kind !== "sym" || !["==", "!=", "&&", "||", "??"].includes(op.text)) return left;
        pos++;
        const right = unary();
        left =
          op.text === "=="
            ? left === right
            : op.text === "!="
              ? left !== right
              : op.text === "&&"
                ? Boolean(left) && Boolean(right)
                : op.text === "||"
                  ? Boolean(left) || Boolean(right)
                  : (left ?? right);
      }
    };
    const unary = (): Value => {
      if (peek("!")) {
        pos++;
        return !unary();
      }
      return postfix();
    };
    const postfix = (): Value => {
      let value = primary();
      for (;;) {
        if (peek(".") || peek(".?")) {
          pos++;
          const name = (tokens[pos++] as { text: string }).text;
          value = (value as Record<string, Value> | undefined)?.[name];
        } else if (peek("!")) pos++;
        else if (peek("[")) {
          pos++;
          const index = expr();
          expect("]");
          value = (value as Record<string, Value>)[index as string];
        } else return value;
      }
    };
    const primary = (): Value => {
      const t = tokens[pos++];
      if (!t) throw new Error("unexpected end");
      if (t.kind === "str") return stringOf(t);
      if (t.kind === "num") return Number(t.text);
      if (t.kind === "sym" && t.text === "(") {
        const v = expr();
        expect(")");
        return v;
      }
      if (t.kind === "sym" && t.text === "[") {
        const items: Value[] = [];
        while (!peek("]")) {
          items.push(expr());
          if (peek(",")) pos++;
        }
        pos++;
        return items;
      }
      if (t.kind === "sym" && t.text === "{") {
        const obj: Record<string, Value> = {};
        while (!peek("}")) {
          const key = tokens[pos++] as Token;
          const name = key.kind === "str" ? stringOf(key) : key.text;
          expect(":");
          obj[name] = expr();
          if (peek(",")) pos++;
        }
        pos++;
        return obj;
      }
      if (t.kind === "id") {
        if (t.text === "null") return null;
        if (t.text === "true" || t.text === "false") return t.text === "true";
        if (peek("(")) {
          pos++;
          const args: Value[] = [];
          while (!peek(")")) {
            args.push(expr());
            if (peek(",")) pos++;
          }
          pos++;
          return this.#call(t.text, args);
        }
        return this.#lookup(t.text);
      }
      throw new Error(`unexpected '${t.text}'`);
    };
    return expr();
  }

  #lookup(name: string): Value {
    if (name in this.#scope) return this.#scope[name];
    if (!this.#vars.has(name)) this.#vars.set(name, this.declaration("var", name));
    return this.#vars.get(name);
  }

  #call(name: string, args: Value[]): Value {
    const text = (i: number) => args[i] as string;
    const file = (i: number) => readFileSync(join(dirname(this.#file), text(i)));
    switch (name) {
      case "loadTextContent":
        return file(0).toString("utf8");
      case "loadFileAsBase64":
        return file(0).toString("base64");
      case "base64":
        return Buffer.from(text(0), "utf8").toString("base64");
      case "string":
        return typeof args[0] === "string" ? args[0] : JSON.stringify(args[0]);
      case "replace":
        return text(0).replaceAll(text(1), text(2));
      case "empty":
        return (
          args[0] == null ||
          (typeof args[0] === "object" ? Object.keys(args[0] as object).length === 0 : args[0] === "")
        );
      case "concat":
        return (args as Value[][]).flat();
      case "join":
        return (args[0] as string[]).join(text(1));
      case "environment":
        return { suffixes: { keyvaultDns: ".vault.azure.net" } };
      default:
        throw new Error(`${this.#file}: function ${name}() is not evaluated by this test`);
    }
  }
}

function asText(v: Value): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Paths (`properties.userData`) at which two evaluated values differ. */
export function differingPaths(a: Value, b: Value, path = ""): string[] {
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      differingPaths(
        (a as Record<string, Value>)[k],
        (b as Record<string, Value>)[k],
        path ? `${path}.${k}` : k,
      ),
    );
  }
  return a === b ? [] : [path];
}
