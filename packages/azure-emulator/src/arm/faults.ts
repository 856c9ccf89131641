// Decides which requests get an injected fault, from a seeded PRNG when a seed is given.
import type { FaultSettings } from "../types.ts";

export type FaultDecision = { type: "status"; status: number } | { type: "timeout"; ms: number } | undefined;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private settings: FaultSettings | undefined;
  private random: () => number = Math.random;

  constructor(settings: FaultSettings | undefined) {
    this.configure(settings);
  }

  configure(settings: FaultSettings | undefined): void {
    this.settings = settings;
    this.random = settings?.seed !== undefined ? mulberry32(settings.seed) : Math.random;
  }

  get phase(): "before" | "after" {
    return this.settings?.phase ?? "before";
  }

  decide(method: string): FaultDecision {
    const s = this.settings;
    if (!s) return undefined;
    if (s.methods && !s.methods.some((m) => m.toUpperCase() === method)) return undefined;
    if (s.timeoutRate && this.random() < s.timeoutRate) return { type: "timeout", ms: s.timeoutMs ?? 30_000 };
    if (s.rate > 0 && this.random() < s.rate) {
      const statuses = s.statuses?.length ? s.statuses : [500, 503];
      const status = statuses[Math.floor(this.random() * statuses.length)] ?? 500;
      return { type: "status", status };
    }
    return undefined;
  }
}

const FAULT_CODES: Record<number, [string, string]> = {
  429: ["TooManyRequests", "The request is being throttled. Please try again later."],
  500: [
    "InternalServerError",
    "Encountered internal server error. Diagnostic information: injected by the emulator.",
  ],
  502: ["BadGateway", "The gateway did not receive a response from the resource provider."],
  503: ["ServiceUnavailable", "The service is temporarily unavailable. Please try again later."],
  504: [
    "GatewayTimeout",
    "The gateway did not receive a response from 'Microsoft.Resources' within the specified time period.",
  ],
};

export function faultBody(status: number): { code: string; message: string } {
  const [code, message] = FAULT_CODES[status] ?? [
    "InternalServerError",
    `Injected fault with status ${status}.`,
  ];
  return { code, message };
}
