// The lock-down watch's textfile, as the watch script really writes it, becomes armbridge's
// `armbridge.imds_lockdown.*` gauges; a missing file becomes no gauge at all (the alert on their
// absence reports it). The watch runs with an `nft` stand-in on PATH that reports the table missing.
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { afterAll, describe, expect, it } from "vitest";
import {
  IMDS_LOCKDOWN_METRICS,
  observeImdsLockdown,
  parseLockdownTextfile,
} from "../../src/telemetry/imds-lockdown.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "armbridge-imds-gauges-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function gauges(file: string, now: number): Promise<Record<string, number>> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  observeImdsLockdown(provider.getMeter("test"), file, () => now);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return Object.fromEntries(
    resourceMetrics.scopeMetrics.flatMap((s) =>
      s.metrics.flatMap((m) => m.dataPoints.map((p) => [m.descriptor.name, p.value as number])),
    ),
  );
}

/** Runs the watch once with an `nft` that lists no table and loads whatever it is given. */
async function watchOnce(metricsFile: string): Promise<number> {
  const bin = join(dir, "bin");
  const nft = join(bin, "nft");
  mkdirSync(bin, { recursive: true });
  writeFileSync(nft, '#!/bin/sh\n[ "$1" = list ] && exit 1\ncat >/dev/null\n');
  chmodSync(nft, 0o755);
  const args = [
    "deploy/imds/watch-imds-lockdown.sh",
    "--metrics-file",
    metricsFile,
    "--lockdown",
    "deploy/imds/armbridge-imds-lockdown.sh",
    "--",
    "--uid",
    "10001",
    "--no-cgroup",
  ];
  try {
    await run("sh", args, { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    return 0;
  } catch (e) {
    return (e as { code: number }).code;
  }
}

describe("IMDS lock-down gauges", () => {
  it("reads what the watch writes after it found the rules missing and loaded them again", async () => {
    const file = join(dir, "armbridge-imds.prom");
    expect(await watchOnce(file)).toBe(1);
    expect(await watchOnce(file)).toBe(1);
    const state = parseLockdownTextfile(readFileSync(file, "utf8"));
    expect(state).toMatchObject({ inForce: 0, repairs: 2 });
    const checkedAt = state?.lastCheckSeconds ?? 0;
    expect(await gauges(file, (checkedAt + 90) * 1000)).toEqual({
      [IMDS_LOCKDOWN_METRICS.inForce]: 0,
      [IMDS_LOCKDOWN_METRICS.repairs]: 2,
      [IMDS_LOCKDOWN_METRICS.checkAge]: 90,
    });
  });

  it("reports nothing for a file that is missing or not the watch's", async () => {
    expect(await gauges(join(dir, "missing.prom"), Date.now())).toEqual({});
    const other = join(dir, "other.prom");
    writeFileSync(other, "node_load1 0.5\n");
    expect(parseLockdownTextfile("node_load1 0.5\n")).toBeUndefined();
    expect(await gauges(other, Date.now())).toEqual({});
  });
});
