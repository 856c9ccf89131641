// `npm run openapi` (first step): writes openapi.yaml from the code; the client example's types follow.
import { writeFileSync } from "node:fs";
import { generateDocument, OPENAPI_PATH } from "./generate.ts";

writeFileSync(OPENAPI_PATH, (await generateDocument()).yaml);
process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
