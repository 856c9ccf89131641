#!/usr/bin/env node
// The `armbridge` command. An installed package runs the JavaScript built into dist/ at `npm pack`
// (Node does not strip types under node_modules); a clone without a build runs the TypeScript.
import { existsSync } from "node:fs";
import { requireSupportedNode } from "./node-check.js";

requireSupportedNode();
const built = new URL("../dist/src/main.js", import.meta.url);
await import(existsSync(built) ? built.href : new URL("../src/main.ts", import.meta.url).href);
