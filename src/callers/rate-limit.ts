// Per-caller rate limits: a token bucket per caller id, refilled continuously, in this process's memory.
// Replicas each keep their share, so together they allow the configured rate and not N times it.

export interface RateLimit {
  perSecond: number;
  burst: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export type RateLimiter = (callerId: string) => RateDecision;

/** Callers without a configured limit are not limited here (ARM's own throttling still applies). */
export function createRateLimiter(
  limits: ReadonlyMap<string, RateLimit>,
  now: () => number = () => performance.now(),
): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (callerId) => {
    const limit = limits.get(callerId);
    if (!limit) return { ok: true };
    const t = now();
    const bucket = buckets.get(callerId) ?? { tokens: limit.burst, at: t };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((t - bucket.at) / 1000) * limit.perSecond);
    bucket.at = t;
    buckets.set(callerId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond)) };
  };
}

/**
 * One replica's share of every caller's limit when `replicas` processes serve the same callers behind
 * a load balancer: together they never allow more than the configured rate or burst.
 */
export function shareOfRateLimits(
  limits: ReadonlyMap<string, RateLimit>,
  replicas: number,
): ReadonlyMap<string, RateLimit> {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: one replica's share is the whole limit (burst is at least 1); the return spares a copy
  if (replicas <= 1) return limits;
  return new Map(
    [...limits].map(([id, l]) => [
      id,
      { perSecond: l.perSecond / replicas, burst: Math.max(1, Math.floor(l.burst / replicas)) },
    ]),
  );
}
