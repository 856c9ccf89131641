// The Azure Storage job store's queue and tables, reached with the managed identity or, for
// development against Azurite, a connection string; created on first use if they do not exist.
import type { TokenCredential } from "@azure/core-auth";
import { TableClient } from "@azure/data-tables";
import { QueueClient, QueueServiceClient } from "@azure/storage-queue";
import type { AzureStorageConfig } from "../../config/store-schema.ts";
import { statusOf } from "./entities.ts";

export interface StorageClients {
  /** Job entities, PartitionKey = job id. */
  jobs: TableClient;
  /** Idempotency key -> job id, inserted if absent. */
  keys: TableClient;
  /** Accept batches until their jobs are visible: the commit point of an all-or-nothing accept. */
  batches: TableClient;
  /** Unfinished jobs per ARM scope, oldest first, for serialisation by scope. */
  scopes: TableClient;
  audit: TableClient;
  /** One message per runnable job; a received message's visibility timeout is the job's lease. */
  queue: QueueClient;
  /** Creates what is missing; every store operation awaits it. */
  ready: Promise<void>;
}

const TABLES = ["jobs", "keys", "batches", "scopes", "audit"] as const;

/** Another replica created it first: what we wanted is there. */
const ALREADY_THERE = new Set(["TableAlreadyExists", "QueueAlreadyExists"]);
const CREATE_ATTEMPTS = 8;

/**
 * Creates a table or queue, riding out what replicas starting together (or a deletion still in
 * progress) make the service answer for a moment: 404 `ResourceNotFound`, 409 `TableBeingDeleted`
 * or `QueueBeingDeleted`, 5xx. A replica that starts beside another must not exit for it.
 */
async function createdOnce(create: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await create();
      return;
    } catch (err) {
      const status = statusOf(err) ?? 0;
      if (status === 409 && ALREADY_THERE.has(String((err as { code?: unknown }).code))) return;
      const passing = status === 404 || status === 409 || status >= 500;
      if (!passing || attempt >= CREATE_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt)));
    }
  }
}

export function createStorageClients(
  config: AzureStorageConfig,
  credential: TokenCredential,
): StorageClients {
  const table = (suffix: string) => {
    const name = `${config.prefix}${suffix}`;
    if (config.connectionString) {
      // Azurite serves plain http on loopback; real accounts are https and use the identity instead.
      return TableClient.fromConnectionString(config.connectionString.reveal(), name, {
        allowInsecureConnection: true,
      });
    }
    return new TableClient(`https://${config.accountName}.table.${config.endpointSuffix}`, name, credential);
  };
  const queueName = `${config.prefix}-jobs`;
  const queue = config.connectionString
    ? QueueServiceClient.fromConnectionString(config.connectionString.reveal()).getQueueClient(queueName)
    : new QueueClient(
        `https://${config.accountName}.queue.${config.endpointSuffix}/${queueName}`,
        credential,
      );
  const [jobs, keys, batches, scopes, audit] = TABLES.map(table) as [
    TableClient,
    TableClient,
    TableClient,
    TableClient,
    TableClient,
  ];
  const ensureTable = (client: TableClient) => createdOnce(() => client.createTable());
  let ready: Promise<void> | undefined;
  const clients = {
    jobs,
    keys,
    batches,
    scopes,
    audit,
    queue,
    get ready() {
      // Retried on the next use after a failure (the account may be unreachable at start).
      ready ??= Promise.all([
        ...[jobs, keys, batches, scopes, audit].map(ensureTable),
        createdOnce(() => queue.createIfNotExists()),
      ]).then(
        () => undefined,
        (err) => {
          ready = undefined;
          throw err;
        },
      );
      return ready;
    },
  };
  return clients;
}
