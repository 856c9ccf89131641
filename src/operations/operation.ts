// What an operation of the catalog is: its input schema, the ARM actions it needs, its scope, and execute().
import type { OperationState, PollerLike } from "@azure/core-lro";
import type { z } from "zod";
import type { ArmClients } from "../azure/arm-clients.ts";

/** Which of ARM's throttling buckets an operation's write draws from. */
export type OperationKind = "read" | "write" | "delete";

export type LongRunningPoller<T> = PollerLike<OperationState<T>, T>;

export interface OperationContext {
  arm: ArmClients;
  signal: AbortSignal;
  /**
   * The serialized poller a previous attempt stored with the job. When set, execute() must rebuild
   * the poller from it (the SDK's `restorePoller`) and not send its write again.
   */
  resumeFrom: string | undefined;
  /**
   * Hands a long-running operation's poller to the job: its state is stored durably (the job is
   * then `waiting`) before polling goes on, so a restart resumes polling. Resolves with the result.
   */
  trackLongRunning<T>(poller: LongRunningPoller<T>): Promise<T>;
  /**
   * Whether the job's caller may change the resource `resourceId` with this operation: undefined
   * when it may, else why not. Template deployments ask it for every resource what-if predicts.
   */
  authorizeChange(resourceId: string): string | undefined;
}

/** Whether an earlier attempt's effect is already in place, and the result it would have returned. */
export type Applied = { applied: true; result: unknown } | { applied: false };

export interface OperationDefinition<Input = unknown, Raw = unknown> {
  name: string;
  summary: string;
  kind: OperationKind;
  /** Validates the parameters; also the request body of `POST /v1/operations/{name}` in the OpenAPI document. */
  input: z.ZodType<Input, Raw>;
  /** A valid input, shown in the OpenAPI document (a test parses it with `input`). */
  example: Raw;
  /** The ARM RBAC actions the managed identity needs; `armbridge roles` builds the custom role from these. */
  actions: readonly string[];
  /**
   * Actions needed at the subscription of the scope, whatever the scope: reading a provider's
   * registered api-versions. Metadata only; `armbridge roles` gives them a role of their own.
   */
  subscriptionActions?: readonly string[];
  /** The ARM scope the operation acts on; grants are matched against it. */
  scope(input: Input): string;
  /** For operations that run a provider action: its name, which the caller's grant must list. */
  providerAction?(input: Input): string;
  execute(input: Input, ctx: OperationContext): Promise<unknown>;
  /**
   * Read-only checks that the direct API runs before it accepts the job (a `403` then, instead of a
   * failed job); they throw to refuse. `execute` still checks again before it writes.
   */
  preflight?(input: Input, ctx: OperationContext): Promise<void>;
  /**
   * Asked (with reads only) before a write is sent again after an attempt that may have reached ARM
   * (a crash, a timeout, a lost response), so the write takes effect once. Without it, the write is
   * simply sent again, which must then be harmless.
   */
  checkApplied?(input: Input, ctx: OperationContext): Promise<Applied>;
  /** Reads (never writes) how far a running job has got, e.g. a deployment's resource operations. */
  progress?(input: Input, ctx: { arm: ArmClients; signal: AbortSignal }): Promise<OperationProgress>;
}

/** One resource operation of a running deployment, as ARM lists it. */
export interface DeploymentOperationProgress {
  resourceId?: string;
  resourceType?: string;
  resourceName?: string;
  provisioningState: string;
  statusCode?: string;
  statusMessage?: string;
}

/** How far a running job has got, read from ARM when its status is asked for. */
export interface OperationProgress {
  operations: DeploymentOperationProgress[];
}

/** Erases the input type so definitions of different operations fit in one catalog. */
export function defineOperation<Input, Raw>(
  definition: OperationDefinition<Input, Raw>,
): OperationDefinition {
  return definition as unknown as OperationDefinition;
}
