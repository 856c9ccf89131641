// The JSON Schema of the config file, for editors (`# yaml-language-server: $schema=…`).
import { z } from "zod";
import { createConfigSchema } from "./schema.ts";

export function configJsonSchema(operations: readonly string[]): Record<string, unknown> {
  // Secrets are references to environment variables, so an empty env describes the file's shape.
  return z.toJSONSchema(createConfigSchema({}, operations), { io: "input", unrepresentable: "any" });
}
