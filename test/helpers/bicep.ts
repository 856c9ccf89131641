// Reads what the Bicep files declare, enough to check them here: no Bicep compiler runs on these
// machines (it is a .NET binary fetched from GitHub, which they cannot reach).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface BicepParam {
  name: string;
  hasDefault: boolean;
}

export interface ModuleCall {
  name: string;
  /** The module file, resolved against the calling file's folder. */
  path: string;
  params: string[];
}

export function readBicep(path: string): string {
  return readFileSync(path, "utf8");
}

export function bicepParams(text: string): BicepParam[] {
  return [...text.matchAll(/^param (\w+) [\w.]+( = .*)?$/gm)].map((m) => ({
    name: m[1] as string,
    hasDefault: m[2] !== undefined,
  }));
}

/** The text from `open` to its matching bracket. */
export function block(text: string, open: number): string {
  const pairs: Record<string, string> = { "{": "}", "[": "]" };
  const closeWith = pairs[text[open] as string];
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === text[open]) depth++;
    else if (text[i] === closeWith && --depth === 0) return text.slice(open, i + 1);
  }
  throw new Error(`unbalanced '${text[open]}' at ${open}`);
}

export function moduleCalls(file: string, text: string): ModuleCall[] {
  return [...text.matchAll(/^module (\w+) '([^']+)' = /gm)].map((m) => {
    const after = (m.index as number) + m[0].length;
    const paramsAt = text.indexOf("params: {", after);
    const body = block(text, paramsAt + "params: ".length);
    // Keys at the first level of the params object.
    const indent = /\n(\s+)\w+:/.exec(body)?.[1] ?? "";
    const params = [...body.matchAll(new RegExp(`\\n${indent}(\\w+):`, "g"))].map((p) => p[1] as string);
    return { name: m[1] as string, path: join(dirname(file), m[2] as string), params };
  });
}

/** Files a Bicep file reads at compile time (loadTextContent, loadFileAsBase64), resolved. */
export function loadedFiles(file: string, text: string): string[] {
  return [...text.matchAll(/load(?:TextContent|FileAsBase64)\('([^']+)'\)/g)].map((m) =>
    join(dirname(file), m[1] as string),
  );
}

/** Every opening bracket has its closing one, in order. */
export function bracketsBalance(text: string): boolean {
  const stack: string[] = [];
  const closing: Record<string, string> = { "}": "{", "]": "[", ")": "(" };
  for (const c of text) {
    if (c === "{" || c === "[" || c === "(") stack.push(c);
    else if (c in closing && stack.pop() !== closing[c]) return false;
  }
  return stack.length === 0;
}
