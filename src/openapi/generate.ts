// The document as the code describes it, independent of any deployment's config: the app is built with
// an empty config and an in-memory store, and only its route registrations are read.
import { createApp } from "../app.ts";
import { parseConfig } from "../config/load.ts";
import { openSqliteJobStore } from "../jobs/sqlite/store.ts";
import type { JobStore } from "../jobs/store.ts";
import { createJobWaiter } from "../jobs/waiter.ts";
import { operationNames } from "../operations/catalog.ts";
import { createLogger } from "../telemetry/logger.ts";
import { type RenderedDocument, renderDocument } from "./document.ts";

export const OPENAPI_PATH = "openapi.yaml";

/** The app every deployment serves, with nothing configured: all its routes, none of a config's. */
export function unconfiguredApp(store: JobStore): ReturnType<typeof createApp> {
  return createApp({
    config: parseConfig("{}", {}, operationNames),
    store,
    waiter: createJobWaiter(store),
    logger: createLogger("silent"),
  });
}

export async function generateDocument(): Promise<RenderedDocument> {
  const store = openSqliteJobStore(":memory:");
  try {
    return renderDocument(unconfiguredApp(store));
  } finally {
    await store.close();
  }
}
