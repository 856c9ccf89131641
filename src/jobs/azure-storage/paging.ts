// Newest-first pages of the Azure Storage tables whose PartitionKey starts with an inverted time
// (jobs and audit): the cursor is the last row's key, and a page is one row longer to know if more follow.
import { odata, type TableClient } from "@azure/data-tables";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { isKeySafe } from "./entities.ts";

export interface PageQuery {
  clauses: string[];
  limit: number;
  cursor?: string;
  /** Rows the filter cannot decide on are kept or skipped here. */
  keep?: (row: Record<string, unknown>) => Promise<boolean> | boolean;
  /** The time a cursor carries, for its shape only; ordering is by key. */
  timeOf: (row: Record<string, unknown>) => number;
}

export async function queryPage(table: TableClient, q: PageQuery) {
  const clauses = [...q.clauses];
  if (q.cursor) {
    const [, key] = decodeCursor(q.cursor);
    if (typeof key !== "string" || !isKeySafe(key)) throw new RangeError("invalid cursor");
    clauses.push(odata`PartitionKey gt ${key}`);
  }
  const rows: Record<string, unknown>[] = [];
  const pages = table
    .listEntities({ queryOptions: clauses.length ? { filter: clauses.join(" and ") } : {} })
    .byPage({ maxPageSize: Math.min(1000, q.limit + 1) });
  for await (const page of pages) {
    for (const row of page) if (!q.keep || (await q.keep(row))) rows.push(row);
    if (rows.length > q.limit) break;
  }
  const page = rows.slice(0, q.limit);
  const last = rows.length > q.limit ? page.at(-1) : undefined;
  return {
    rows: page,
    nextCursor: last ? encodeCursor(q.timeOf(last), String(last.partitionKey)) : undefined,
  };
}
