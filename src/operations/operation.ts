// What an operation of the catalog is: its input schema, the ARM actions it needs, its scope, and execute().
import type { z } from "zod";
import type { ArmClients } from "../azure/arm-clients.ts";

/** Which of ARM's throttling buckets an operation draws from. */
export type OperationKind = "read" | "write" | "delete";

export interface OperationContext {
  arm: ArmClients;
  signal: AbortSignal;
}

export interface OperationDefinition<Input = unknown> {
  name: string;
  summary: string;
  kind: OperationKind;
  input: z.ZodType<Input>;
  /** The ARM RBAC actions the managed identity needs; `armbridge roles` builds the custom role from these. */
  actions: readonly string[];
  /** The ARM scope the operation acts on; grants are matched against it. */
  scope(input: Input): string;
  execute(input: Input, ctx: OperationContext): Promise<unknown>;
}

/** Erases the input type so definitions of different operations fit in one catalog. */
export function defineOperation<Input>(definition: OperationDefinition<Input>): OperationDefinition {
  return definition as unknown as OperationDefinition;
}
