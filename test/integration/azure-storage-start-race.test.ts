// Replicas that start together: each creates the shared tables and queue if they are missing, and
// none may fail because another is creating them at the same moment (scale-out once exited at start
// with Azurite's ResourceNotFound).
import { randomBytes } from "node:crypto";
import { ManagedIdentityCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/config/secret.ts";
import type { AzureStorageConfig } from "../../src/config/store-schema.ts";
import { openAzureStorageJobStore } from "../../src/jobs/azure-storage/store.ts";
import { type Azurite, startAzurite } from "../helpers/azurite.ts";
import { draft } from "../helpers/job-store-contract.ts";

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

// Never asked for a token: the connection string authenticates against Azurite.
const credential = new ManagedIdentityCredential();

describe("Azure Storage job store started by several replicas at once", () => {
  it.each([1, 2, 3])("gets every replica ready on fresh tables and queue (round %i)", async () => {
    const config: AzureStorageConfig = {
      engine: "azure-storage",
      connectionString: new Secret("AZURITE", azurite.connectionString),
      prefix: `r${randomBytes(6).toString("hex")}`,
      endpointSuffix: "core.windows.net",
      replicas: 4,
    };
    const stores = Array.from({ length: 4 }, () => openAzureStorageJobStore(config, credential));
    try {
      // Each replica's start: recover() is the first store call the worker makes.
      const started = await Promise.allSettled(stores.map((s) => s.recover()));
      expect(started.map((s) => (s.status === "rejected" ? String(s.reason) : s.status))).toEqual([
        "fulfilled",
        "fulfilled",
        "fulfilled",
        "fulfilled",
      ]);
      // And they share one store: what one accepts, another reads.
      const [first, second] = stores as [(typeof stores)[0], (typeof stores)[0]];
      const { jobs } = await first.accept([draft("start-race")]);
      expect((await second.get(jobs[0]?.id as string))?.id).toBe(jobs[0]?.id);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
