// The README is part of the contract: its operations table must say what the catalog does.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { catalog } from "../../src/operations/catalog.ts";

describe("README", () => {
  const readme = readFileSync("README.md", "utf8");
  const rows = new Map(
    readme
      .split("\n")
      .filter((line) => /^\| `[a-zA-Z]+\.[a-zA-Z]+` +\|/.test(line))
      .map((line) => [line.split("|")[1]?.trim().replaceAll("`", ""), line] as const),
  );

  it.each(catalog.map((op) => [op.name, op]))("lists %s with the ARM actions it needs", (name, op) => {
    const row = rows.get(name);
    expect(row, `README has no row for ${name}`).toBeDefined();
    for (const action of op.actions) expect(row).toContain(`\`${action}\``);
  });
});
