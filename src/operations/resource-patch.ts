// Updates part of a resource by id (PATCH `body`: only what changes), followed to its terminal state.
import { EXAMPLE_VM } from "./params.ts";
import { defineResourceWrite } from "./resource-common.ts";

export const resourcePatch = defineResourceWrite({
  name: "resource.patch",
  summary: "Update part of a resource by id (PATCH); long-running.",
  method: "PATCH",
  example: { resourceId: EXAMPLE_VM, body: { tags: { env: "prod" } } },
});
