// Reads a Dockerfile and a .dockerignore the way `docker build` does, for the subset armbridge uses.
// Anything outside that subset is refused, so the build test cannot silently reproduce less than Docker.

export interface Instruction {
  keyword: string;
  /** `--from=deps`, `--chown=10001:10001`, `--interval=30s`: flag name to value. */
  flags: Record<string, string>;
  /** The rest of the line, continuations joined, variables not yet expanded. */
  args: string;
  line: number;
}

export interface Stage {
  name?: string;
  /** The image reference with global ARGs expanded. */
  base: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

const SUPPORTED = new Set([
  "ARG",
  "FROM",
  "WORKDIR",
  "COPY",
  "RUN",
  "ENV",
  "USER",
  "VOLUME",
  "EXPOSE",
  "HEALTHCHECK",
  "STOPSIGNAL",
  "ENTRYPOINT",
  "CMD",
  "LABEL",
]);

/** Joins `\` continuations, drops comments and blank lines; keeps the first line number of each. */
function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let current: { text: string; line: number } | undefined;
  text.split("\n").forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!current && (trimmed === "" || trimmed.startsWith("#"))) return;
    if (current && trimmed.startsWith("#")) return;
    const continued = trimmed.endsWith("\\");
    const part = continued ? trimmed.slice(0, -1) : trimmed;
    if (current) current.text += ` ${part}`;
    else current = { text: part, line: i + 1 };
    if (!continued) {
      out.push(current);
      current = undefined;
    }
  });
  if (current) out.push(current);
  return out;
}

export function expand(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b) as string;
    const v = vars[name];
    if (v === undefined) throw new Error(`variable ${name} is not defined`);
    return v;
  });
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { text: lineText, line } of logicalLines(text)) {
    const match = /^(\w+)\s+(.*)$/s.exec(lineText);
    if (!match) throw new Error(`line ${line}: cannot read '${lineText}'`);
    const keyword = (match[1] as string).toUpperCase();
    if (!SUPPORTED.has(keyword)) throw new Error(`line ${line}: ${keyword} is not reproduced by this test`);
    let rest = (match[2] as string).trim();
    if (rest.includes("<<")) throw new Error(`line ${line}: heredocs are not reproduced by this test`);
    const flags: Record<string, string> = {};
    for (let flag = /^--([\w-]+)=(\S+)\s+/.exec(rest); flag; flag = /^--([\w-]+)=(\S+)\s+/.exec(rest)) {
      flags[flag[1] as string] = flag[2] as string;
      rest = rest.slice(flag[0].length);
    }
    const instruction = { keyword, flags, args: rest, line };
    if (keyword === "FROM") {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!from) throw new Error(`line ${line}: cannot read FROM '${rest}'`);
      stages.push({ base: expand(from[1] as string, globalArgs), name: from[2], instructions: [] });
    } else if (stages.length === 0) {
      if (keyword !== "ARG") throw new Error(`line ${line}: only ARG may precede the first FROM`);
      const [name, value = ""] = rest.split(/=(.*)/s);
      globalArgs[name as string] = value;
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  if (stages.length === 0) throw new Error("no FROM");
  return { globalArgs, stages };
}

/** The exec (JSON array) form of CMD, ENTRYPOINT or HEALTHCHECK CMD. */
export function execForm(args: string): string[] {
  const json = args.replace(/^CMD\s+/, "");
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) {
    throw new Error(`not an exec form: ${args}`);
  }
  return parsed;
}

/** `KEY=value KEY2="value two"` as ENV writes it. */
export function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) {
    out[m[1] as string] = m[3] ?? (m[2] as string);
  }
  return out;
}

function patternToRegExp(pattern: string): RegExp {
  let re = "";
  const p = pattern.replace(/^\/+/, "").replace(/\/+$/, "");
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === "*" && p[i + 1] === "*") {
      // `**` matches any number of directories, including none.
      re += p[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += p[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/**
 * Docker's .dockerignore rules: patterns are relative to the context root, `!` re-includes, the last
 * matching pattern wins, and a pattern that matches a directory matches everything below it.
 */
export function dockerignoreFilter(text: string): (relativePath: string) => boolean {
  const rules = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => ({ include: l.startsWith("!"), re: patternToRegExp(l.replace(/^!/, "")) }));
  return (relativePath) => {
    const parts = relativePath.split("/");
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let excluded = false;
    for (const rule of rules) {
      if (candidates.some((c) => rule.re.test(c))) excluded = !rule.include;
    }
    return excluded;
  };
}
