// Adds or overwrites the given tags at a scope, keeping the others.
import { EXAMPLE_GROUP } from "./params.ts";
import { defineTagOperation } from "./tags-common.ts";

export const tagsMerge = defineTagOperation(
  "tags.merge",
  "Merge",
  "Add or overwrite tags at a scope, keeping the rest.",
  { scope: EXAMPLE_GROUP, tags: { costCenter: "1234" } },
);
