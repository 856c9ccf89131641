// Reads the KQL that deploy/ ships (the workbook's query items and the alert rules' .kql files) just far
// enough to list what each query depends on: its table, the columns it names, the customDimensions keys
// it reads and the string values it compares with. And turns exported Application Insights envelopes
// into rows of the classic tables, the way ingestion stores them, so those dependencies can be looked up.
import { readdirSync, readFileSync } from "node:fs";
import { loadedFiles, readBicep } from "./bicep.ts";
import type { Envelope } from "./fake-ingestion.ts";

export interface DeployedQuery {
  /** Where it comes from: `workbook:<item name>` or `alert:<file>`. */
  source: string;
  kql: string;
}

export const WORKBOOK_FILE = "deploy/workbook/armbridge.workbook.json";
export const ALERTS_BICEP = "deploy/modules/alerts.bicep";

interface WorkbookItem {
  type: number;
  name: string;
  content: { query?: string };
}

export function workbookItems(): WorkbookItem[] {
  return (JSON.parse(readFileSync(WORKBOOK_FILE, "utf8")) as { items: WorkbookItem[] }).items;
}

/** Every query the deployment ships: the workbook's query items, then each .kql file alerts.bicep loads. */
export function deployedQueries(): DeployedQuery[] {
  const workbook = workbookItems()
    .filter((i) => i.type === 3)
    .map((i) => ({ source: `workbook:${i.name}`, kql: i.content.query ?? "" }));
  const alerts = loadedFiles(ALERTS_BICEP, readBicep(ALERTS_BICEP)).map((file) => ({
    source: `alert:${file.split("/").at(-1)}`,
    kql: readFileSync(file, "utf8"),
  }));
  return [...workbook, ...alerts];
}

export function alertQueryFiles(): string[] {
  return readdirSync("deploy/alerts").map((f) => `deploy/alerts/${f}`);
}

/** One row of a classic Application Insights table, as ingestion stores an envelope. */
export interface Row {
  table: string;
  columns: Record<string, unknown>;
  customDimensions: Record<string, unknown>;
}

// The columns each classic table fills from an envelope (Application Insights data model): tags
// become the context columns, baseData the item's own ones.
const CONTEXT_COLUMNS: Record<string, string> = {
  operation_Id: "ai.operation.id",
  operation_ParentId: "ai.operation.parentId",
  operation_Name: "ai.operation.name",
  user_AuthenticatedId: "ai.user.authUserId",
  cloud_RoleName: "ai.cloud.role",
  cloud_RoleInstance: "ai.cloud.roleInstance",
};
const ITEM_COLUMNS: Record<string, Record<string, string>> = {
  requests: {
    name: "name",
    id: "id",
    duration: "duration",
    resultCode: "responseCode",
    success: "success",
    url: "url",
  },
  dependencies: {
    name: "name",
    id: "id",
    duration: "duration",
    resultCode: "resultCode",
    success: "success",
    target: "target",
    type: "type",
    data: "data",
  },
  traces: { message: "message", severityLevel: "severityLevel" },
  customMetrics: {
    name: "name",
    value: "value",
    valueSum: "value",
    valueCount: "count",
    valueMin: "min",
    valueMax: "max",
  },
};
const TABLE_OF: Record<string, string> = {
  RequestData: "requests",
  RemoteDependencyData: "dependencies",
  MessageData: "traces",
  MetricData: "customMetrics",
};
// Every row has these, whatever its table: when it happened, and how many items it stands for (ingestion
// sets `itemCount` from the envelope's sample rate: a kept item of a 50 % sample counts twice).
const ROW_COLUMNS = ["timestamp", "itemCount"];
const ALL_COLUMNS = new Set([
  ...ROW_COLUMNS,
  "customDimensions",
  ...Object.keys(CONTEXT_COLUMNS),
  ...Object.values(ITEM_COLUMNS).flatMap((c) => Object.keys(c)),
]);

export function rowsOf(envelopes: readonly Envelope[]): Row[] {
  return envelopes.flatMap((e) => {
    const table = TABLE_OF[e.data.baseType];
    if (!table) return [];
    const context: Record<string, unknown> = {
      timestamp: e.time,
      itemCount: e.sampleRate && e.sampleRate < 100 ? Math.round(100 / e.sampleRate) : 1,
    };
    for (const [column, tag] of Object.entries(CONTEXT_COLUMNS)) context[column] = e.tags[tag];
    const customDimensions = e.data.baseData.properties ?? {};
    const own = ITEM_COLUMNS[table] as Record<string, string>;
    // A MetricData envelope holds several metrics; each is a row of customMetrics.
    const items =
      table === "customMetrics"
        ? (e.data.baseData.metrics as Record<string, unknown>[])
        : [e.data.baseData as Record<string, unknown>];
    return items.map((item) => {
      const columns = { ...context };
      for (const [column, field] of Object.entries(own)) columns[column] = item[field];
      return { table, columns, customDimensions };
    });
  });
}

export interface QueryReferences {
  table: string;
  columns: string[];
  dimensionKeys: string[];
  /** Field (a column, or `customDimensions.<key>`) → the string values the query compares it with. */
  literals: Map<string, string[]>;
}

const DIMENSION = String.raw`customDimensions(?:\.([A-Za-z_]\w*)|\["([^"]+)"\])`;

export function referencesOf(kql: string): QueryReferences {
  const text = kql
    .split("\n")
    .filter((l) => !l.trim().startsWith("//"))
    .join("\n")
    // Workbook parameters ({TimeRange}, {TimeRange:grain}) are replaced before the query runs.
    .replace(/\{[\w:]+\}/g, "");
  const table = /^\s*([A-Za-z_]\w*)/.exec(text)?.[1] ?? "";
  const dimensionKeys = [...text.matchAll(new RegExp(DIMENSION, "g"))].map((m) => (m[1] ?? m[2]) as string);
  const literals = new Map<string, string[]>();
  const comparison = new RegExp(
    String.raw`(?:tostring\()?(${DIMENSION}|[A-Za-z_]\w*)\)?\s*(?:==\s*("[^"]*")|in\s*\(((?:\s*"[^"]*"\s*,?)+)\))`,
    "g",
  );
  for (const m of text.matchAll(comparison)) {
    const key = m[2] ?? m[3];
    const field = key ? `customDimensions.${key}` : (m[1] as string);
    const values = [...(m[4] ?? m[5] ?? "").matchAll(/"([^"]*)"/g)].map((v) => v[1] as string);
    literals.set(field, [...(literals.get(field) ?? []), ...values]);
  }
  // Identifiers outside string literals that name a column of some classic table.
  const bare = text.replace(/"[^"]*"/g, '""');
  const columns = [...new Set([...bare.matchAll(/\b[A-Za-z_]\w*\b/g)].map((m) => m[0]))].filter(
    (w) => ALL_COLUMNS.has(w) && w !== "customDimensions",
  );
  return { table, columns, dimensionKeys: [...new Set(dimensionKeys)], literals };
}

const fieldOf = (row: Row, field: string): unknown =>
  field.startsWith("customDimensions.")
    ? row.customDimensions[field.slice("customDimensions.".length)]
    : row.columns[field];
const present = (v: unknown) => v !== undefined && v !== null && v !== "";

/**
 * What a query names that the emitted rows do not have: an unknown table, a column of another table or
 * never filled, a customDimensions key on none of the rows it selects (by `name` or `message`), a value
 * compared with that no row carries. Empty when every reference resolves.
 */
export function missingReferences(kql: string, rows: readonly Row[]): string[] {
  const refs = referencesOf(kql);
  const ofTable = rows.filter((r) => r.table === refs.table);
  if (!(refs.table in ITEM_COLUMNS) || ofTable.length === 0) return [`table ${refs.table || "(none)"}`];
  const missing: string[] = [];
  const own = new Set([
    ...ROW_COLUMNS,
    ...Object.keys(CONTEXT_COLUMNS),
    ...Object.keys(ITEM_COLUMNS[refs.table] ?? {}),
  ]);
  for (const column of refs.columns) {
    if (!own.has(column) || !ofTable.some((r) => present(r.columns[column])))
      missing.push(`${refs.table}.${column}`);
  }
  // The rows the query is about: those whose name or message it asks for.
  let selected = ofTable;
  for (const field of ["name", "message"]) {
    const wanted = refs.literals.get(field);
    if (wanted) selected = selected.filter((r) => wanted.includes(String(r.columns[field])));
  }
  for (const key of refs.dimensionKeys) {
    if (!selected.some((r) => present(r.customDimensions[key])))
      missing.push(`${refs.table}.customDimensions.${key}`);
  }
  for (const [field, values] of refs.literals) {
    for (const value of values) {
      if (!ofTable.some((r) => String(fieldOf(r, field)) === value)) missing.push(`${field} == "${value}"`);
    }
  }
  return missing;
}
