// Runs the emulator standalone (`npm run emulator` at the repository root): `node src/cli.ts [--arm-port N] [--imds-port N] [--ca-out FILE] [--throttle-scale X]`.
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { ARM_THROTTLE } from "./arm/throttle.ts";
import { startEmulator } from "./index.ts";
import type { ThrottleSettings } from "./types.ts";

function scaled(scale: number): ThrottleSettings | false {
  if (scale <= 0) return false;
  const s = (b: { burst: number; perSecond: number }) => ({
    burst: Math.max(1, Math.round(b.burst * scale)),
    perSecond: b.perSecond * scale,
  });
  return { reads: s(ARM_THROTTLE.reads), writes: s(ARM_THROTTLE.writes), deletes: s(ARM_THROTTLE.deletes) };
}

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${flag}: must be a port number, got '${value}'`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "arm-port": { type: "string" },
      "imds-port": { type: "string" },
      "ca-out": { type: "string" },
      "throttle-scale": { type: "string" },
      host: { type: "string" },
    },
  });
  const scale = values["throttle-scale"] === undefined ? 1 : Number(values["throttle-scale"]);
  if (!Number.isFinite(scale))
    throw new Error(`--throttle-scale: must be a number, got '${values["throttle-scale"]}'`);
  const emulator = await startEmulator({
    ...(values.host ? { host: values.host } : {}),
    armPort: port(values["arm-port"], "--arm-port"),
    imdsPort: port(values["imds-port"], "--imds-port"),
    throttle: scaled(scale),
  });
  const caFile = values["ca-out"];
  if (caFile) await writeFile(caFile, emulator.caCertPem);
  process.stdout.write(
    `${JSON.stringify({
      armUrl: emulator.armUrl,
      imdsUrl: emulator.imdsUrl,
      keyVaultUrl: emulator.keyVaultUrl,
      caFile: caFile ?? null,
      tenantId: emulator.tenantId,
      subscriptions: emulator.subscriptions,
      identities: emulator.identities,
    })}\n`,
  );
  const shutdown = () => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
