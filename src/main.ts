#!/usr/bin/env node
// Entry point. Node's compile cache (which also keeps the stripped TypeScript) is turned on before
// anything else loads, so every start after the first skips most of the compiling.
import { enableCompileCache } from "node:module";

enableCompileCache();
const { runCli } = await import("./cli/commands.ts");
process.exitCode = await runCli(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`armbridge: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
});
