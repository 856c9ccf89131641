// The `store` section: which job store engine runs. SQLite (one process, a file under `dataDir`) is
// the default; Azure Storage queues and tables let several replicas share the work.
import { z } from "zod";
import type { Secret } from "./secret.ts";

export function createStoreSchema(secretRef: () => z.ZodType<Secret, unknown>) {
  const sqlite = z.strictObject({ engine: z.literal("sqlite") });
  const azureStorage = z
    .strictObject({
      engine: z.literal("azure-storage"),
      /** The storage account, reached with the managed identity (the way to run in Azure). */
      accountName: z
        .string()
        .regex(/^[a-z0-9]{3,24}$/, "must be a storage account name (3-24 lowercase letters and digits)")
        .optional(),
      /** DNS suffix of the account's endpoints (another cloud's, e.g. `core.chinacloudapi.cn`). */
      endpointSuffix: z.string().default("core.windows.net"),
      /** For development (Azurite): a connection string, as a secret reference, instead of the identity. */
      connectionString: secretRef().optional(),
      /** Names the queue (`{prefix}-jobs`) and tables (`{prefix}jobs`, `{prefix}audit`, …). */
      prefix: z
        .string()
        .regex(/^[a-z][a-z0-9]{2,39}$/, "must be 3-40 lowercase letters and digits, starting with a letter")
        .default("armbridge"),
      /**
       * How many replicas share the managed identity. ARM throttles per principal, so each replica
       * keeps 1/replicas of every throttle bucket; likewise of every caller's `rateLimit`.
       */
      replicas: z.number().int().min(1).max(100).default(1),
    })
    .refine(
      (s) => (s.accountName === undefined) !== (s.connectionString === undefined),
      "set accountName (managed identity) or connectionString (development), exactly one",
    );
  return z.discriminatedUnion("engine", [sqlite, azureStorage]).default({ engine: "sqlite" });
}

export type StoreConfig = z.output<ReturnType<typeof createStoreSchema>>;
export type AzureStorageConfig = Extract<StoreConfig, { engine: "azure-storage" }>;
