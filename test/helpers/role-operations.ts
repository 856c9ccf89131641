// Operations that only name ARM actions, for tests of the roles a grant needs: nothing runs them.
import { z } from "zod";
import { defineOperation } from "../../src/operations/operation.ts";

export const actionsOnlyOperation = (name: string, actions: string[], subscriptionActions?: string[]) =>
  defineOperation({
    name,
    summary: name,
    kind: "write",
    input: z.unknown(),
    example: {},
    actions,
    ...(subscriptionActions ? { subscriptionActions } : {}),
    scope: () => "/",
    execute: async () => null,
  });
