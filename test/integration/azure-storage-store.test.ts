// The Azure Storage job store against Azurite: the shared contract, and what only a store shared by
// several replicas must do (one lease per job, one job per idempotency key across replicas).
import { randomBytes } from "node:crypto";
import { ManagedIdentityCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/config/secret.ts";
import type { AzureStorageConfig } from "../../src/config/store-schema.ts";
import { openAzureStorageJobStore } from "../../src/jobs/azure-storage-store.ts";
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
});
