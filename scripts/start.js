// `npm start`, in plain JavaScript so that an old Node hears which version it needs before it
// meets TypeScript; then the local launcher (emulator + armbridge).
import { requireSupportedNode } from "../bin/node-check.js";

requireSupportedNode();
await import("./start-local.ts");
