// Waiting with a bound: shutdown and health checks must answer in time whatever the store, ARM or
// IMDS are doing, so they wait for a promise only until a deadline.

/** Resolves true when `promise` settled within `ms`, false when the time ran out first; never rejects. */
export function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}

/** Rejects with `TimeoutError` naming `what` when `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`${what} did not answer within ${ms} ms`);
      err.name = "TimeoutError";
      reject(err);
    }, ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The time left until an absolute deadline (ms since the epoch), never negative. */
export const timeLeft = (until: number): number => Math.max(0, until - Date.now());
