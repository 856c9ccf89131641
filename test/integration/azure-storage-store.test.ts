// The Azure Storage job store against Azurite: the shared contract, and what only a store shared by
// several replicas must do (one lease per job, one job per idempotency key across replicas).
import { randomBytes } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { ManagedIdentityCredential } from "@azure/identity";
import { QueueServiceClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/config/secret.ts";
import type { AzureStorageConfig } from "../../src/config/store-schema.ts";
import { hashKey } from "../../src/jobs/azure-storage/entities.ts";
import { openAzureStorageJobStore } from "../../src/jobs/azure-storage/store.ts";
import type { JobStore } from "../../src/jobs/store.ts";
import { type Azurite, startAzurite } from "../helpers/azurite.ts";
import { describeJobStoreContract, draft, record } from "../helpers/job-store-contract.ts";

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

// Never asked for a token: the connection string authenticates against Azurite.
const credential = new ManagedIdentityCredential();
const storeConfig = (): AzureStorageConfig => ({
  engine: "azure-storage",
  connectionString: new Secret("AZURITE", azurite.connectionString),
  prefix: `t${randomBytes(6).toString("hex")}`,
  endpointSuffix: "core.windows.net",
  replicas: 1,
});

describeJobStoreContract("Azure Storage (Azurite)", () => {
  const config = storeConfig();
  return { open: () => openAzureStorageJobStore(config, credential), cleanup: () => undefined };
});

describe("Azure Storage job store shared by replicas", () => {
  const pair = (): [JobStore, JobStore] => {
    const config = storeConfig();
    return [openAzureStorageJobStore(config, credential), openAzureStorageJobStore(config, credential)];
  };

  it("leases each job to one replica only", async () => {
    const [a, b] = pair();
    const { jobs } = await a.accept(Array.from({ length: 60 }, (_, i) => draft(`lease-${i}`, i)));
    const [fromA, fromB] = await Promise.all([a.claim(40, 60_000), b.claim(40, 60_000)]);
    const more = [...(await a.claim(40, 60_000)), ...(await b.claim(40, 60_000))];
    const ids = [...fromA, ...fromB, ...more].map((j) => j.id);
    expect(ids.sort()).toEqual(jobs.map((j) => j.id).sort());
    await Promise.all([a.close(), b.close()]);
  });

  it("maps one idempotency key to one job when replicas accept it at the same time", async () => {
    const [a, b] = pair();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).accept([draft("same-delivery#0"), draft("same-delivery#1", 1)]),
      ),
    );
    const first = results.map((r) => r.jobs[0]?.id);
    expect(new Set(first).size).toBe(1);
    expect(new Set(results.map((r) => r.jobs[1]?.id)).size).toBe(1);
    expect(results.flatMap((r) => r.created).filter(Boolean)).toHaveLength(2);
    expect((await b.list({ limit: 10 })).jobs).toHaveLength(2);
    await Promise.all([a.close(), b.close()]);
  });

  it("lets another replica take over a job whose holder closed", async () => {
    const [a, b] = pair();
    const { jobs } = await a.accept([draft("takeover")]);
    const [held] = await a.claim(1, 60_000);
    expect(held?.id).toBe(jobs[0]?.id);
    await a.close();
    const [taken] = await b.claim(1, 60_000);
    expect(taken).toMatchObject({ id: held?.id, attempts: 2, state: "running" });
    await b.finish(taken?.id as string, "succeeded", { result: 1 }, record(taken as never, "succeeded"));
    expect(await b.get(taken?.id as string)).toMatchObject({ state: "succeeded", result: 1 });
    await b.close();
  });

  it("answers unknown and malformed ids as absent", async () => {
    const [a] = pair();
    expect(await a.get("no/such#job?")).toBeUndefined();
    expect(await a.get("00000000-0000-0000-0000-000000000000")).toBeUndefined();
    await a.ping();
    await a.close();
  });

  describe("after a process died in the middle of an accept", () => {
    // The half-written states are made by rewinding a finished accept with the storage SDK: the
    // job back to `pending`, under a batch record older than the grace period, its message gone.
    const rewind = async (config: AzureStorageConfig, jobId: string, key: string, state: string) => {
      const table = (name: string) =>
        TableClient.fromConnectionString(azurite.connectionString, `${config.prefix}${name}`, {
          allowInsecureConnection: true,
        });
      const batchId = `crashed-${state}`;
      await table("batches").createEntity({
        partitionKey: batchId,
        rowKey: "",
        state,
        createdAt: Date.now() - 60_000,
        jobIds: jobId,
      });
      await table("jobs").updateEntity(
        { partitionKey: jobId, rowKey: "", state: "pending", batchId },
        "Merge",
      );
      await table("keys").updateEntity({ partitionKey: hashKey(key), rowKey: "", batchId }, "Merge");
      await QueueServiceClient.fromConnectionString(azurite.connectionString)
        .getQueueClient(`${config.prefix}-jobs`)
        .clearMessages();
    };

    it("shows nothing of an uncommitted batch and lets its key be accepted again", async () => {
      const config = storeConfig();
      const store = openAzureStorageJobStore(config, credential);
      const lost = (await store.accept([draft("crash-before-commit")])).jobs[0]?.id as string;
      await rewind(config, lost, "crash-before-commit", "pending");
      expect(await store.get(lost)).toBeUndefined();
      const again = await store.accept([draft("crash-before-commit")]);
      expect(again.created).toEqual([true]);
      expect(again.jobs[0]?.id).not.toBe(lost);
      expect((await store.claim(10, 60_000)).map((j) => j.id)).toEqual([again.jobs[0]?.id]);
      expect((await store.list({ limit: 10 })).jobs.map((j) => j.id)).toEqual([again.jobs[0]?.id]);
      await store.close();
    });

    it("rolls a committed batch forward on recovery, so its job runs", async () => {
      const config = storeConfig();
      const store = openAzureStorageJobStore(config, credential);
      const committed = (await store.accept([draft("crash-after-commit")])).jobs[0]?.id as string;
      await rewind(config, committed, "crash-after-commit", "committed");
      expect(await store.claim(10, 60_000)).toEqual([]);
      expect(await store.get(committed)).toMatchObject({ state: "accepted" });
      expect((await store.list({ state: "accepted", limit: 10 })).jobs.map((j) => j.id)).toEqual([committed]);
      expect(await store.recover()).toBe(1);
      expect((await store.claim(10, 60_000)).map((j) => j.id)).toEqual([committed]);
      expect((await store.accept([draft("crash-after-commit")])).created).toEqual([false]);
      await store.close();
    });
  });
});
