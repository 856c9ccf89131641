// What the telemetry e2e tests share: armbridge as its own process against the emulator process,
// exporting through the real Azure Monitor exporters to the fake ingestion endpoint, with every
// connection it opens recorded.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConnectionLog, recordConnections } from "./connections.ts";
import { exporterEnvironment, type FakeIngestion, startFakeIngestion } from "./fake-ingestion.ts";
import {
  type ArmbridgeProcess,
  type EmulatorProcess,
  startArmbridge,
  startEmulatorProcess,
} from "./processes.ts";

export interface ExportingRun {
  root: string;
  ingestion: FakeIngestion;
  emulator: EmulatorProcess;
  armbridge: ArmbridgeProcess;
  connections: ConnectionLog;
  /** SIGTERM: armbridge drains, flushes its exporters and exits; resolves to the exit code. */
  stopArmbridge(): Promise<number | null>;
  /** Ends every process the run started and removes its directory. */
  close(): Promise<void>;
}

/**
 * Starts the run in a new temporary directory: `config` gives the YAML (from the directory and the
 * emulator), `env` the variables beside the exporter's. What started is ended again if a later step fails.
 */
export async function startExportingRun(
  name: string,
  config: (root: string, emulator: EmulatorProcess) => string,
  env: Record<string, string>,
): Promise<ExportingRun> {
  const root = mkdtempSync(join(tmpdir(), `armbridge-${name}-`));
  const started = await Promise.allSettled([startFakeIngestion(root), startEmulatorProcess(root)]);
  const [ingestion, emulator] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined)) as [
    FakeIngestion | undefined,
    EmulatorProcess | undefined,
  ];
  let armbridge: ArmbridgeProcess | undefined;
  const close = async () => {
    if (armbridge?.child.exitCode === null) armbridge.child.kill("SIGKILL");
    await Promise.all([emulator?.stop(), ingestion?.stop()]);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    if (!ingestion || !emulator) throw started.find((s) => s.status === "rejected")?.reason;
    const configFile = join(root, "armbridge.yaml");
    writeFileSync(configFile, config(root, emulator));
    const connections = recordConnections(root);
    armbridge = await startArmbridge(["--config", configFile], {
      ...env,
      ...exporterEnvironment(ingestion),
      ...connections.env,
    });
    const running = armbridge;
    return {
      root,
      ingestion,
      emulator,
      armbridge: running,
      connections,
      stopArmbridge: () => {
        running.child.kill("SIGTERM");
        return running.exit;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
