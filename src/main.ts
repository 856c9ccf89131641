#!/usr/bin/env node
// Entry point. Node's compile cache (which also keeps the stripped TypeScript) is turned on before
// anything else loads, so every start after the first skips most of the compiling.
import { enableCompileCache } from "node:module";

enableCompileCache();
await import("./start.ts");
