#!/usr/bin/env node
// The `armbridge` command. A clone runs the TypeScript in src/; an installed package ships no src/
// but the JavaScript built into dist/ at `npm pack`, because Node strips no types under node_modules.
import { existsSync } from "node:fs";
import * as nodeModule from "node:module";
import { requireSupportedNode } from "./node-check.js";

requireSupportedNode();
// Before the first TypeScript file: with the cache on from here, src/main.ts too comes from it
// already stripped, and a start with a warm cache never loads the type stripper at all.
nodeModule.enableCompileCache?.();
const source = new URL("../src/main.ts", import.meta.url);
await import(existsSync(source) ? source.href : new URL("../dist/src/main.js", import.meta.url).href);
