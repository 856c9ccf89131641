// Replays ARM's published examples against the emulator over the wire (HTTPS, a real IMDS token) and
// compares what the examples fix: status, required properties, headers and error codes.

import { type Emulator, startEmulator } from "@armbridge/azure-emulator";
import { afterAll, beforeAll, expect } from "vitest";
import { armRequest, imdsToken, type RawResponse } from "../helpers/emulator-clients.ts";

/** The subscription the published examples use. */
export const EXAMPLE_SUB = "00000000-0000-0000-0000-000000000001";
export const API = "2025-04-01";

export interface Replay {
  emulator: Emulator;
  /** One ARM request as the example makes it; `path` without the api-version. */
  call(method: string, path: string, body?: unknown, apiVersion?: string): Promise<RawResponse>;
  /** Follows a Location or Azure-AsyncOperation URL until ARM says the operation is done. */
  poll(url: string): Promise<RawResponse>;
  stop(): Promise<void>;
}

export async function startReplay(options: Parameters<typeof startEmulator>[0] = {}): Promise<Replay> {
  const emulator = await startEmulator({ subscriptions: [EXAMPLE_SUB], lro: { durationMs: 30 }, ...options });
  const res = await imdsToken(emulator, "https://management.azure.com/");
  const token = ((await res.json()) as { access_token: string }).access_token;
  const call = (method: string, path: string, body?: unknown, apiVersion = API) => {
    const url = apiVersion ? `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}` : path;
    return armRequest(emulator, method, url, { token, ...(body === undefined ? {} : { body }) });
  };
  const poll = async (url: string) => {
    const path = url.replace(emulator.armUrl, "");
    for (let i = 0; i < 200; i++) {
      const res = await armRequest(emulator, "GET", path, { token });
      const status = (res.body as { status?: string } | undefined)?.status;
      if (res.status !== 202 && !(status && ["Running", "InProgress", "Accepted"].includes(status)))
        return res;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`operation ${url} did not end`);
  };
  return { emulator, call, poll, stop: () => emulator.stop() };
}

/** A replay for the file: started before its tests with the given resource groups, stopped after. */
export function useReplay(groups: string[] = []): Replay {
  let current: Replay | undefined;
  beforeAll(async () => {
    current = await startReplay();
    for (const group of groups) await current.call("PUT", group, { location: "eastus" });
  });
  afterAll(async () => {
    await current?.stop();
  });
  const get = () => {
    if (!current) throw new Error("the replay has not started");
    return current;
  };
  return {
    get emulator() {
      return get().emulator;
    },
    call: (...args) => get().call(...args),
    poll: (url) => get().poll(url),
    stop: () => get().stop(),
  };
}

export function header(res: RawResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** ARM's error shape: `{ error: { code, message } }` with the example's status and code. */
export function expectArmError(res: RawResponse, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
}

/** What every long-running answer carries: the status URL of its kind, and Retry-After. */
export function expectLongRunning(
  res: RawResponse,
  status: number,
  kind: "Location" | "Azure-AsyncOperation",
) {
  expect(res.status, res.text).toBe(status);
  expect(header(res, kind)).toMatch(/^https:\/\//);
  expect(header(res, "Retry-After")).toMatch(/^\d+$/);
  return header(res, kind) as string;
}

/** The headers ARM puts on every answer. */
export function expectArmHeaders(res: RawResponse): void {
  for (const name of ["x-ms-request-id", "x-ms-correlation-request-id", "x-ms-routing-request-id"]) {
    expect(header(res, name), name).toBeTruthy();
  }
}
