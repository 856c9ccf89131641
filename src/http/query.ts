// Query-string validation and page links shared by the operator listings (jobs, audit).
import type { Context } from "hono";
import type { z } from "zod";
import { BridgeError } from "./errors.ts";

export function parseQuery<T extends z.ZodType>(schema: T, c: Context): z.output<T> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BridgeError("bad_request", `query ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return parsed.data;
}

/** The next page's link: the same query with the store's cursor. */
export function nextLink(c: Context, cursor: string | undefined): string | null {
  return cursor ? `${c.req.path}?${new URLSearchParams({ ...c.req.query(), cursor })}` : null;
}

/** Runs a page query; a cursor the store does not recognise (RangeError) is the caller's mistake. */
export async function pageOrBadCursor<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (err) {
    if (err instanceof RangeError)
      throw new BridgeError("bad_request", "query cursor: not a cursor of this list");
    throw err;
  }
}
