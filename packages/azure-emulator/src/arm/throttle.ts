// ARM's per-subscription, per-principal token buckets for reads, writes and deletes.
import type { Bucket, ThrottleSettings } from "../types.ts";

export type RequestKind = "reads" | "writes" | "deletes";

export const ARM_THROTTLE: ThrottleSettings = {
  reads: { burst: 250, perSecond: 25 },
  writes: { burst: 200, perSecond: 10 },
  deletes: { burst: 200, perSecond: 10 },
};

export function requestKind(method: string): RequestKind {
  if (method === "GET" || method === "HEAD") return "reads";
  if (method === "DELETE") return "deletes";
  return "writes";
}

interface BucketState {
  tokens: number;
  updatedAt: number;
}

export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

export class Throttle {
  private readonly buckets = new Map<string, BucketState>();
  private settings: ThrottleSettings | false;

  constructor(settings: ThrottleSettings | false) {
    this.settings = settings;
  }

  configure(settings: ThrottleSettings | false): void {
    this.settings = settings;
    this.buckets.clear();
  }

  get enabled(): boolean {
    return this.settings !== false;
  }

  take(subscription: string, principal: string, kind: RequestKind, now = Date.now()): TakeResult {
    if (this.settings === false) return { ok: true, remaining: Number.POSITIVE_INFINITY };
    const bucket: Bucket = this.settings[kind];
    const key = `${subscription.toLowerCase()}|${principal}|${kind}`;
    const state = this.buckets.get(key) ?? { tokens: bucket.burst, updatedAt: now };
    state.tokens = Math.min(bucket.burst, state.tokens + ((now - state.updatedAt) / 1000) * bucket.perSecond);
    state.updatedAt = now;
    this.buckets.set(key, state);
    if (state.tokens >= 1) {
      state.tokens -= 1;
      return { ok: true, remaining: Math.floor(state.tokens) };
    }
    const wait = bucket.perSecond > 0 ? (1 - state.tokens) / bucket.perSecond : 3600;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
  }

  reset(): void {
    this.buckets.clear();
  }
}
