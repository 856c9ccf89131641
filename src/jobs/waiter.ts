// Waits for jobs to reach a terminal state (for `Prefer: wait=N`): woken by the worker in this
// process, and re-reading the store now and then so it also works when another process ran the job.
import { type Job, TERMINAL_STATES } from "./job.ts";
import type { JobStore } from "./store.ts";

const RECHECK_MS = 250;

export interface JobWaiter {
  /** The jobs as they are when all are terminal, or when `timeoutMs` passed or `signal` aborted. */
  wait(ids: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<Job[]>;
  /** Tells waiters that a job finished. */
  notify(jobId: string): void;
}

export function createJobWaiter(store: JobStore): JobWaiter {
  const listeners = new Map<string, Set<() => void>>();

  const read = async (ids: readonly string[]) =>
    (await Promise.all(ids.map((id) => store.get(id)))).filter((j): j is Job => j !== undefined);

  return {
    async wait(ids, timeoutMs, signal) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const jobs = await read(ids);
        const done = jobs.every((j) => TERMINAL_STATES.has(j.state));
        const left = until - Date.now();
        if (done || left <= 0 || signal?.aborted) return jobs;
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            for (const id of ids) listeners.get(id)?.delete(wake);
            signal?.removeEventListener("abort", wake);
            resolve();
          };
          const timer = setTimeout(wake, Math.min(left, RECHECK_MS));
          for (const id of ids) {
            const set = listeners.get(id) ?? new Set();
            set.add(wake);
            listeners.set(id, set);
          }
          signal?.addEventListener("abort", wake, { once: true });
        });
        for (const id of ids) if (listeners.get(id)?.size === 0) listeners.delete(id);
      }
    },
    notify(jobId) {
      for (const wake of [...(listeners.get(jobId) ?? [])]) wake();
    },
  };
}
