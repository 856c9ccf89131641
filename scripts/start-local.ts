// `npm start`: the local demo. Starts the Azure emulator in this process, then armbridge, pointed at it
// only through armbridge's ordinary settings (ARM and IMDS endpoints, an extra CA for ARM). armbridge
// itself knows nothing of the emulator; production starts `node src/main.ts` (the image, systemd).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "@armbridge/azure-emulator";

const emulator = await startEmulator();
// The CA is handed over as a file, as an operator would configure one; it lives as long as the process.
const dir = mkdtempSync(join(tmpdir(), "armbridge-local-"));
const caFile = join(dir, "emulator-ca.pem");
writeFileSync(caFile, emulator.caCertPem);
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

process.env.ARMBRIDGE_ARM_ENDPOINT = emulator.armUrl;
process.env.ARMBRIDGE_IMDS_ENDPOINT = emulator.imdsUrl;
process.env.ARMBRIDGE_CA_CERT_FILE = caFile;
// One JSON line like armbridge's own log lines, so the output stays one parseable stream.
process.stdout.write(
  `${JSON.stringify({
    level: "info",
    time: new Date().toISOString(),
    msg: "local Azure emulator started in-process",
    arm: emulator.armUrl,
    imds: emulator.imdsUrl,
    subscriptions: emulator.subscriptions,
  })}\n`,
);
// armbridge reads its arguments (`--config PATH`) from this process's argv, as `node src/main.ts` would.
await import("../src/main.ts");
