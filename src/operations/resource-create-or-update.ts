// Creates or replaces a resource by id (PUT `body`: the whole resource), followed to its terminal state.
import { defineResourceWrite } from "./resource-common.ts";

export const resourceCreateOrUpdate = defineResourceWrite({
  name: "resource.createOrUpdate",
  summary: "Create or replace a resource by id (PUT); long-running.",
  method: "PUT",
});
