// Adds or overwrites the given tags at a scope, keeping the others.
import { defineTagOperation } from "./tags-common.ts";

export const tagsMerge = defineTagOperation(
  "tags.merge",
  "Merge",
  "Add or overwrite tags at a scope, keeping the rest.",
);
