#!/usr/bin/env node
// The `armbridge` command. A clone runs the TypeScript in src/; an installed package ships no src/
// but the JavaScript built into dist/ at `npm pack`, because Node strips no types under node_modules.
import { existsSync } from "node:fs";
import { requireSupportedNode } from "./node-check.js";

requireSupportedNode();
const source = new URL("../src/main.ts", import.meta.url);
await import(existsSync(source) ? source.href : new URL("../dist/src/main.js", import.meta.url).href);
