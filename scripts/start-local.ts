// `npm start`: the local demo. Starts the Azure emulator in this process, then armbridge, pointed at it
// only through armbridge's ordinary settings (ARM and IMDS endpoints, an extra CA for ARM). armbridge
// itself knows nothing of the emulator; production starts `node src/main.ts` (the image, systemd).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "@armbridge/azure-emulator";
import { startServer } from "../src/start.ts";

/**
 * The demo hook's secret when none is set. Only this launcher supplies it, and only against the
 * emulator it starts; `node src/main.ts` (production) still refuses a config whose secret is unset.
 */
export const DEV_DEMO_SECRET = "dev-only-secret";

const emulator = await startEmulator();
// The CA is handed over as a file, as an operator would configure one; it lives as long as the process.
const dir = mkdtempSync(join(tmpdir(), "armbridge-local-"));
const caFile = join(dir, "emulator-ca.pem");
writeFileSync(caFile, emulator.caCertPem);
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

process.env.ARMBRIDGE_ARM_ENDPOINT = emulator.armUrl;
process.env.ARMBRIDGE_IMDS_ENDPOINT = emulator.imdsUrl;
process.env.ARMBRIDGE_CA_CERT_FILE = caFile;
const devSecret = !process.env.ARMBRIDGE_DEMO_SECRET;
if (devSecret) process.env.ARMBRIDGE_DEMO_SECRET = DEV_DEMO_SECRET;
// One JSON line like armbridge's own log lines, so the output stays one parseable stream.
process.stdout.write(
  `${JSON.stringify({
    level: "info",
    time: new Date().toISOString(),
    msg: "local Azure emulator started in-process",
    arm: emulator.armUrl,
    imds: emulator.imdsUrl,
    subscriptions: emulator.subscriptions,
    demoSecret: devSecret
      ? "the dev-only default (ARMBRIDGE_DEMO_SECRET was not set)"
      : "from ARMBRIDGE_DEMO_SECRET",
  })}\n`,
);
// armbridge reads its arguments (`--config PATH`) from this process's argv, as `node src/main.ts` would.
const { url } = await startServer(process.argv.slice(2));
// For people, on stderr so stdout stays JSON lines: a signed demo webhook, ready to paste.
process.stderr.write(`
armbridge is running against the local Azure emulator. Try it from another shell:

${demoCurl(url, devSecret ? DEV_DEMO_SECRET : undefined)}
`);

/** The README's demo: a GitHub-style signed push that the `demo` route turns into a resource group. */
export function demoCurl(url: string, secret: string | undefined): string {
  return [
    secret
      ? `export ARMBRIDGE_DEMO_SECRET=${secret}`
      : "# ARMBRIDGE_DEMO_SECRET: the value you started armbridge with",
    `url=${url}`,
    `body='{"ref":"refs/heads/main","repository":{"name":"web","full_name":"contoso/web","id":42}}'`,
    `sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$ARMBRIDGE_DEMO_SECRET" -r | cut -d' ' -f1)`,
    // A signed webhook has no credential to read its job later (GET /v1/jobs/{id} needs the caller's
    // own or an operator's), so the delivery waits for the job and the answer is the job itself.
    `curl -sS "$url/hooks/demo" -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \\`,
    `  -H "X-GitHub-Delivery: $(date +%s%N)" -H "X-Hub-Signature-256: sha256=$sig" \\`,
    `  -H 'Prefer: wait=10' -d "$body" | sed -E 's/^\\{"jobs":\\[(.*)\\],"replayed":(true|false)\\}$/\\1/'`,
  ].join("\n");
}
