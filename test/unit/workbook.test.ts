// The workbook and the alert rules as the deployment sends them: the workbook file is a valid
// Notebook/1.0 document whose every query item has a query over Application Insights, the Bicep module
// loads that file and fills in the resource it reads, and every rule's query comes from a .kql file that
// exists and returns the measure column and dimensions the rule names. What the queries read is checked
// against armbridge's real telemetry in test/e2e/workbook-queries.test.ts.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadedFiles, readBicep } from "../helpers/bicep.ts";
import { BicepEvaluator } from "../helpers/bicep-eval.ts";
import { ALERTS_BICEP, alertQueryFiles, referencesOf, WORKBOOK_FILE, workbookItems } from "../helpers/kql.ts";

const WORKBOOK_BICEP = "deploy/modules/workbook.bicep";
const INSIGHTS_ID =
  "/subscriptions/s/resourceGroups/g/providers/Microsoft.Insights/components/armbridge-insights";

describe("workbook", () => {
  const items = workbookItems();

  it("is a Notebook/1.0 document of named text, parameter and query items", () => {
    expect(items.length).toBeGreaterThan(10);
    expect(new Set(items.map((i) => i.name)).size).toBe(items.length);
    expect(items.every((i) => [1, 3, 9].includes(i.type))).toBe(true);
  });

  it("gives every query item a KQL query over the Application Insights resource", () => {
    const queries = items.filter((i) => i.type === 3);
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const item of queries) {
      const content = item.content as Record<string, unknown>;
      expect(content.version, item.name).toBe("KqlItem/1.0");
      expect(String(content.query).trim().length, item.name).toBeGreaterThan(20);
      expect(content.queryType, item.name).toBe(0);
      expect(content.resourceType, item.name).toBe("microsoft.insights/components");
      expect(["requests", "dependencies", "traces", "customMetrics"]).toContain(
        referencesOf(String(content.query)).table,
      );
    }
  });

  it("uses only the parameters it declares", () => {
    const declared = items
      .filter((i) => i.type === 9)
      .flatMap((i) => (i.content as { parameters: { name: string }[] }).parameters.map((p) => p.name));
    const used = items.flatMap((i) =>
      [...String(i.content.query ?? "").matchAll(/\{(\w+)(?::\w+)?\}/g)].map((m) => m[1]),
    );
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((u) => !declared.includes(u as string))).toEqual([]);
  });

  it("is deployed by workbook.bicep from this file, reading the deployment's Application Insights", () => {
    expect(loadedFiles(WORKBOOK_BICEP, readBicep(WORKBOOK_BICEP))).toEqual([WORKBOOK_FILE]);
    const serialized = new BicepEvaluator(WORKBOOK_BICEP, { insightsId: INSIGHTS_ID }).declaration(
      "var",
      "serializedData",
    ) as string;
    const document = JSON.parse(serialized) as { version: string; fallbackResourceIds: string[] };
    expect(document.version).toBe("Notebook/1.0");
    expect(document.fallbackResourceIds).toEqual([INSIGHTS_ID]);
    expect(readBicep(WORKBOOK_BICEP)).toMatch(/^\s+sourceId: insightsId$/m);
  });
});

describe("alert rules", () => {
  type Rule = {
    name: string;
    query: string;
    measure: string;
    dimensions: { name: string }[];
    threshold: unknown;
  };
  const rules = new BicepEvaluator(ALERTS_BICEP, { throttlingThreshold: 10 }).declaration(
    "var",
    "rules",
  ) as Rule[];

  it("alert on dead jobs, ARM throttling and the IMDS lock-down (broken, and not checked)", () => {
    expect(rules.map((r) => r.name)).toEqual([
      "dead-jobs",
      "arm-throttling",
      "imds-lockdown-broken",
      "imds-lockdown-unchecked",
    ]);
    expect(rules.find((r) => r.name === "arm-throttling")?.threshold).toBe(10);
  });

  it("load every .kql file of deploy/alerts, each one existing", () => {
    const loaded = loadedFiles(ALERTS_BICEP, readBicep(ALERTS_BICEP));
    for (const file of loaded) expect(existsSync(file), file).toBe(true);
    expect([...loaded].sort()).toEqual(alertQueryFiles().sort());
  });

  it.each(rules.map((r) => [r.name, r] as const))(
    "%s: the query returns the measure and dimensions the rule names",
    (_name, rule) => {
      const outputs = (column: string) =>
        new RegExp(`\\b${column}\\s*=|\\bby\\b[^|]*\\b${column}\\b`).test(rule.query);
      if (rule.measure) expect(outputs(rule.measure), rule.measure).toBe(true);
      // Without a measure the rule counts rows: the query must end by keeping only the bad ones.
      else expect(rule.query.trim().split("\n").at(-1)).toMatch(/^\| where /);
      for (const d of rule.dimensions) expect(outputs(d.name), d.name).toBe(true);
    },
  );

  it("report silence too: the unchecked rule's summarize has no `by`, so an empty window still makes a row", () => {
    const unchecked = (rules.find((r) => r.name === "imds-lockdown-unchecked")?.query ?? "")
      .split("\n")
      .filter((l) => !l.startsWith("//"))
      .join("\n");
    expect(unchecked).toMatch(/\| summarize reports = count\(\), [^|]*\n\| where reports == 0 or /);
    expect(unchecked).not.toMatch(/summarize[^|]*\bby\b/);
  });
});
