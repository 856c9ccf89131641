// A typed armbridge client for a service: the types come from armbridge's openapi.yaml
// (openapi-typescript, in armbridge.ts), the calls are made with openapi-fetch.
import createClient from "openapi-fetch";
import type { components, paths } from "./armbridge.ts";

export type Job = components["schemas"]["Job"];
export type Problem = components["schemas"]["Problem"];
export type ResourceGroupEnsureInput = components["schemas"]["ResourceGroupEnsureInput"];

/** An error answer of armbridge: its problem+json, with the stable `code` to act on. */
export class ArmbridgeError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(`${problem.code}: ${problem.detail} (request ${problem.requestId})`);
    this.name = "ArmbridgeError";
    this.problem = problem;
  }
}

/** A client for one armbridge, authenticated as an `api-key` caller. */
export function createArmbridgeClient(baseUrl: string, apiKey: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });
}

export type ArmbridgeClient = ReturnType<typeof createArmbridgeClient>;

/**
 * Ensures a resource group. The idempotency key makes a retried call (after a timeout, say) answer
 * with the job of the first; `waitSeconds` asks armbridge to answer once the job finished.
 */
export async function ensureResourceGroup(
  client: ArmbridgeClient,
  input: ResourceGroupEnsureInput,
  options: { idempotencyKey: string; waitSeconds?: number },
): Promise<Job> {
  const { data, error } = await client.POST("/v1/operations/resourceGroup.ensure", {
    params: {
      header: {
        "Idempotency-Key": options.idempotencyKey,
        ...(options.waitSeconds ? { Prefer: `wait=${options.waitSeconds}` } : {}),
      },
    },
    body: input,
  });
  if (error) throw new ArmbridgeError(error);
  const [job] = data.jobs;
  if (!job) throw new Error("armbridge accepted the call but returned no job");
  return job;
}

/** A job's current state; with `waitSeconds`, once it finished or the time passed. */
export async function getJob(client: ArmbridgeClient, id: string, waitSeconds?: number): Promise<Job> {
  const { data, error } = await client.GET("/v1/jobs/{id}", {
    params: { path: { id }, header: waitSeconds ? { Prefer: `wait=${waitSeconds}` } : {} },
  });
  if (error) throw new ArmbridgeError(error);
  return data;
}
