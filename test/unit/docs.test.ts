// The docs are part of the contract: the operations table says what the catalog does, the config
// reference names every key the config schema has (and no other), and every relative link resolves.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { catalog } from "../../src/operations/catalog.ts";

const read = (path: string) => readFileSync(path, "utf8");
const DOCS = ["README.md", ...readdirSync("docs").map((name) => join("docs", name))].filter((p) =>
  p.endsWith(".md"),
);

/** The cells of a markdown table's rows whose first cell starts with a code span. */
function tableRows(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => /^\| `/.test(line))
    .map((line) => line.split(/(?<!\\)\|/).map((cell) => cell.trim()));
}

describe("docs/triggers-and-operations.md", () => {
  const rows = new Map(
    tableRows(read("docs/triggers-and-operations.md"))
      .filter((cells) => /^`[a-zA-Z]+\.[a-zA-Z]+`$/.test(cells[1] ?? ""))
      .map((cells) => [cells[1]?.replaceAll("`", ""), cells.join("|")] as const),
  );

  it.each(catalog.map((op) => [op.name, op]))("lists %s with the ARM actions it needs", (name, op) => {
    const row = rows.get(name);
    expect(row, `no row for ${name}`).toBeDefined();
    for (const action of op.actions) expect(row).toContain(`\`${action}\``);
  });
});

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $defs?: Record<string, JsonSchema>;
}

// The filter language is recursive (`all`, `any`, `not` hold filters again): its keys are documented
// once, in triggers-and-operations.md, not at every depth.
const FILTER = "routes[].trigger.filter";

/** Every key path of the config schema (`callers[].entra.tenantId`), and the keys of the filter language. */
function schemaKeys(root: JsonSchema) {
  const keys = new Set<string>();
  const filterKeys = new Set<string>();
  const walk = (node: JsonSchema, path: string, into: Set<string>, seen: Set<JsonSchema>) => {
    if (node.$ref) {
      const target = root.$defs?.[node.$ref.replace("#/$defs/", "")];
      if (!target) throw new Error(`unresolved ${node.$ref}`);
      if (seen.has(target)) return;
      return walk(target, path, into, new Set([...seen, target]));
    }
    for (const sub of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])])
      walk(sub, path, into, seen);
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      // `{ env: NAME }` and `{ keyVault: URL }` are secret references, documented once for all secrets.
      // (`azure.keyVault`, an object, is a section of its own.)
      if (name === "env" || (name === "keyVault" && child.type === "string")) continue;
      const key = into === filterKeys ? name : path ? `${path}.${name}` : name;
      into.add(key);
      if (key === FILTER) walk(child, key, filterKeys, seen);
      else walk(child, key, into, seen);
    }
    if (node.items) walk(node.items, `${path}[]`, into, seen);
    if (typeof node.additionalProperties === "object")
      walk(node.additionalProperties, `${path}{}`, into, seen);
  };
  walk(root, "", keys, new Set());
  return { keys, filterKeys };
}

describe("docs/configuration.md", () => {
  const { keys, filterKeys } = schemaKeys(JSON.parse(read("config/armbridge.schema.json")));
  const documented = new Set(
    tableRows(read("docs/configuration.md")).flatMap((cells) =>
      [...(cells[1] ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1] as string),
    ),
  );

  it("documents every key of the config schema", () => {
    expect(keys.size).toBeGreaterThan(100);
    // A section (`server`, `azure.throttle`) is documented through its keys.
    const section = (key: string) => [...keys].some((other) => other.startsWith(`${key}.`));
    expect([...keys].filter((key) => !section(key) && !documented.has(key))).toEqual([]);
  });

  it("documents no key the config schema does not have", () => {
    expect([...documented].filter((key) => !keys.has(key))).toEqual([]);
  });

  it("leaves the filter language to triggers-and-operations.md, which names each of its keys", () => {
    const prose = read("docs/triggers-and-operations.md").replace(/```[\s\S]*?```/g, "");
    const spans = [...prose.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    expect(filterKeys.size).toBeGreaterThan(10);
    const named = (key: string) => spans.some((span) => new RegExp(`\\b${key}\\b`).test(span));
    expect([...filterKeys].filter((key) => !named(key))).toEqual([]);
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
const anchorsOf = (text: string) =>
  new Set(
    [...text.replace(/```[\s\S]*?```/g, "").matchAll(/^#+ (.+)$/gm)].map((m) =>
      (m[1] as string)
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replaceAll(" ", "-"),
    ),
  );

describe("links in README.md and docs/", () => {
  const links = DOCS.flatMap((file) =>
    [
      ...read(file)
        .replace(/```[\s\S]*?```/g, "")
        .replace(/`[^`\n]*`/g, "")
        .matchAll(/\]\(([^)\s]+)\)/g),
    ]
      .map((m) => m[1] as string)
      .filter((target) => !/^[a-z]+:/.test(target))
      .map((target) => ({ file, target })),
  );

  it("finds the links to check", () => {
    expect(links.length).toBeGreaterThan(20);
  });

  it.each(DOCS)("every relative link in %s reaches a file and a heading", (file) => {
    const broken = links
      .filter((link) => link.file === file)
      .filter(({ target }) => {
        const [path = "", anchor] = target.split("#");
        const resolved = path === "" ? file : normalize(join(dirname(file), path));
        if (!existsSync(resolved)) return true;
        return anchor !== undefined && !anchorsOf(read(resolved)).has(anchor);
      });
    expect(broken).toEqual([]);
  });
});
