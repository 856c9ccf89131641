// Replaces all tags at a scope with the given ones.
import { EXAMPLE_GROUP } from "./params.ts";
import { defineTagOperation } from "./tags-common.ts";

export const tagsReplace = defineTagOperation("tags.replace", "Replace", "Replace all tags at a scope.", {
  scope: EXAMPLE_GROUP,
  tags: { owner: "platform", costCenter: "1234" },
});
