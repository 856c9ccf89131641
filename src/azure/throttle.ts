// armbridge's side of ARM throttling: per-subscription token buckets for reads, writes and deletes,
// taken before every request, that shrink to what ARM reports left and pause for its Retry-After.
import type { ThrottleConfig } from "../config/schema.ts";
import { type Clock, systemClock } from "../kernel/clock.ts";

export type RequestKind = "reads" | "writes" | "deletes";

export interface ThrottleObservation {
  status: number;
  /** x-ms-ratelimit-remaining-subscription-{kind}, when ARM sent it. */
  remaining?: number;
  /** Retry-After of a 429. */
  retryAfterMs?: number;
}

export interface ThrottleLimiter {
  /** Resolves when a request of this kind may be sent; rejects when the signal aborts first. */
  acquire(subscription: string, kind: RequestKind, signal?: AbortSignal): Promise<void>;
  observe(subscription: string, kind: RequestKind, seen: ThrottleObservation): void;
}

interface BucketState {
  /** May go negative: each waiting request holds a reservation on a future token. */
  tokens: number;
  updatedAt: number;
  pausedUntil: number;
}

export function requestKind(method: string): RequestKind {
  const m = method.toUpperCase();
  if (m === "GET" || m === "HEAD") return "reads";
  return m === "DELETE" ? "deletes" : "writes";
}

export function createThrottleLimiter(config: ThrottleConfig, now: Clock = systemClock): ThrottleLimiter {
  const buckets = new Map<string, BucketState>();

  const refilled = (subscription: string, kind: RequestKind): BucketState => {
    const key = `${subscription.toLowerCase()}|${kind}`;
    const { burst, perSecond } = config[kind];
    const t = now();
    const state = buckets.get(key) ?? { tokens: burst, updatedAt: t, pausedUntil: 0 };
    // No refill while paused: ARM said when it will take requests again.
    const from = Math.max(state.updatedAt, state.pausedUntil);
    if (t > from) state.tokens = Math.min(burst, state.tokens + ((t - from) / 1000) * perSecond);
    state.updatedAt = Math.max(t, state.updatedAt);
    buckets.set(key, state);
    return state;
  };

  return {
    async acquire(subscription, kind, signal) {
      if (!config.enabled) return;
      signal?.throwIfAborted();
      const state = refilled(subscription, kind);
      state.tokens -= 1;
      const pause = Math.max(0, state.pausedUntil - now());
      const waitMs = pause + (state.tokens >= 0 ? 0 : (-state.tokens / config[kind].perSecond) * 1000);
      if (waitMs <= 0) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(done, waitMs);
        function done() {
          signal?.removeEventListener("abort", aborted);
          resolve();
        }
        function aborted() {
          clearTimeout(timer);
          // The reservation is given back so the requests behind it do not wait for nothing.
          refilled(subscription, kind).tokens += 1;
          reject(signal?.reason);
        }
        signal?.addEventListener("abort", aborted, { once: true });
      });
    },

    observe(subscription, kind, seen) {
      if (!config.enabled) return;
      const state = refilled(subscription, kind);
      // ARM's bucket is shared with every other client of the subscription; it knows better.
      if (seen.remaining !== undefined && seen.remaining < state.tokens) state.tokens = seen.remaining;
      if (seen.status === 429) {
        state.tokens = Math.min(state.tokens, 0);
        state.pausedUntil = Math.max(state.pausedUntil, now() + (seen.retryAfterMs ?? 1000));
      }
    },
  };
}

/**
 * One replica's share of the buckets when `replicas` processes act as the same principal: together
 * they never exceed ARM's limits, and none of them needs to ask the others before a request.
 */
export function shareOfThrottle(config: ThrottleConfig, replicas: number): ThrottleConfig {
  if (replicas <= 1) return config;
  const share = (b: ThrottleConfig["reads"]) => ({
    burst: Math.max(1, Math.floor(b.burst / replicas)),
    perSecond: b.perSecond / replicas,
  });
  return {
    ...config,
    reads: share(config.reads),
    writes: share(config.writes),
    deletes: share(config.deletes),
  };
}

/** Seconds or an HTTP date, as ARM sends it; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
