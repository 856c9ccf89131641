// Starts Azurite (queues and tables, in memory, on free loopback ports) as a child process for the
// Azure Storage job store's tests and the benchmark, and stops it again.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Azurite's well-known development account; its key is public and only Azurite accepts it. */
const ACCOUNT = "devstoreaccount1";
const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface Azurite {
  connectionString: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function azuriteBin(): string {
  const pkg = createRequire(import.meta.url).resolve("azurite/package.json");
  return join(dirname(pkg), "dist", "src", "azurite.js");
}

export function startAzurite(): Promise<Azurite> {
  const workspace = mkdtempSync(join(tmpdir(), "armbridge-azurite-"));
  const child = spawn(
    process.execPath,
    [
      azuriteBin(),
      "--inMemoryPersistence",
      "--disableTelemetry",
      "--silent",
      "--skipApiVersionCheck",
      ...["--blobHost", "127.0.0.1", "--blobPort", "0"],
      ...["--queueHost", "127.0.0.1", "--queuePort", "0"],
      ...["--tableHost", "127.0.0.1", "--tablePort", "0"],
    ],
    // In memory, yet Azurite still wants a working directory of its own.
    { cwd: workspace, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
    rmSync(workspace, { recursive: true, force: true });
  };
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`Azurite did not start:\n${output}`));
    }, 20_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}:\n${output}`));
    };
    child.once("exit", early);
    child.stderr?.setEncoding("utf8").on("data", (c: string) => {
      output += c;
    });
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const queue = /Queue service is successfully listening at (http:\S+)/.exec(output)?.[1];
      const table = /Table service is successfully listening at (http:\S+)/.exec(output)?.[1];
      if (!queue || !table) return;
      clearTimeout(timer);
      child.off("exit", early);
      resolve({
        child,
        stop,
        connectionString:
          `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};` +
          `QueueEndpoint=${queue}/${ACCOUNT};TableEndpoint=${table}/${ACCOUNT};`,
      });
    });
  });
}
