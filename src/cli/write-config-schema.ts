// `npm run config-schema`: writes config/armbridge.schema.json from the zod schema.
import { writeFileSync } from "node:fs";
import { configJsonSchema } from "../config/json-schema.ts";
import { operationNames } from "../operations/catalog.ts";

export const CONFIG_SCHEMA_PATH = "config/armbridge.schema.json";

writeFileSync(CONFIG_SCHEMA_PATH, `${JSON.stringify(configJsonSchema(operationNames), null, 2)}\n`);
process.stdout.write(`wrote ${CONFIG_SCHEMA_PATH}\n`);
