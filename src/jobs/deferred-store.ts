// A store whose engine module is loaded on first use, so that a process on the default engine never
// loads the Azure Storage SDKs (a fifth of a second of cold start).
import type { JobStore } from "./store.ts";

export function deferredJobStore(load: () => Promise<JobStore>): JobStore {
  let loaded: Promise<JobStore> | undefined;
  const store = () => {
    loaded ??= load();
    return loaded;
  };
  return {
    accept: async (drafts) => (await store()).accept(drafts),
    get: async (id) => (await store()).get(id),
    list: async (filter) => (await store()).list(filter),
    claim: async (limit, leaseMs, options) => (await store()).claim(limit, leaseMs, options),
    checkpoint: async (id, lroState) => (await store()).checkpoint(id, lroState),
    reschedule: async (id, notBefore, error, refund) =>
      (await store()).reschedule(id, notBefore, error, refund),
    finish: async (id, state, outcome, audit) => (await store()).finish(id, state, outcome, audit),
    requeue: async (id, audit) => (await store()).requeue(id, audit),
    appendAudit: async (records) => (await store()).appendAudit(records),
    queryAudit: async (filter) => (await store()).queryAudit(filter),
    purgeAudit: async (before) => (await store()).purgeAudit(before),
    countUnfinished: async () => (await store()).countUnfinished(),
    recover: async () => (await store()).recover(),
    ping: async () => (await store()).ping(),
    close: async () => {
      if (loaded) await (await loaded).close();
    },
  };
}
