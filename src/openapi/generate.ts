// The document as the code describes it, independent of any deployment's config: the app is built with
// an empty config and an in-memory store, and only its route registrations are read.
import { createApp } from "../app.ts";
import { parseConfig } from "../config/load.ts";
import { openSqliteJobStore } from "../jobs/sqlite/store.ts";
import { createJobWaiter } from "../jobs/waiter.ts";
import { operationNames } from "../operations/catalog.ts";
import { createLogger } from "../telemetry/logger.ts";
import { type RenderedDocument, renderDocument } from "./document.ts";

export const OPENAPI_PATH = "openapi.yaml";

export async function generateDocument(): Promise<RenderedDocument> {
  const store = openSqliteJobStore(":memory:");
  try {
    const app = createApp({
      config: parseConfig("{}", {}, operationNames),
      store,
      waiter: createJobWaiter(store),
      logger: createLogger("silent"),
    });
    return renderDocument(app);
  } finally {
    await store.close();
  }
}
