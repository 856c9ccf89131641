// A closed-loop HTTP load generator: `concurrency` callers each send their next request when the
// previous one is answered; reports the rate and the latency percentiles.

export interface LoadResult {
  requests: number;
  failures: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export async function runLoad(
  total: number,
  concurrency: number,
  send: (i: number) => Promise<Response>,
  expectStatus: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        const res = await send(i);
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
        if (res.status !== expectStatus) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return {
    requests: total,
    failures,
    seconds,
    perSecond: total / seconds,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
  };
}
