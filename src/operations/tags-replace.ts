// Replaces all tags at a scope with the given ones.
import { defineTagOperation } from "./tags-common.ts";

export const tagsReplace = defineTagOperation("tags.replace", "Replace", "Replace all tags at a scope.");
