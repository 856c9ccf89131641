// Picks the caller of a hook delivery among the callers the hook allows.
import type { CallerConfig } from "../config/schema.ts";
import type { Authentication } from "./caller.ts";
import { authenticateGithubWebhook } from "./github-webhook.ts";

export interface HookDelivery {
  body: Uint8Array;
  headers: Headers;
}

export type HookAuthenticator = (allowed: readonly string[], delivery: HookDelivery) => Authentication;

export function createHookAuthenticator(callers: readonly CallerConfig[]): HookAuthenticator {
  const byId = new Map(callers.map((c) => [c.id, c]));
  return (allowed, delivery) => {
    const reasons = new Set<string>();
    for (const id of allowed) {
      const config = byId.get(id);
      if (!config) continue;
      const result = authenticateGithubWebhook(config, delivery.body, delivery.headers);
      if (result.ok) return result;
      reasons.add(result.reason);
    }
    return { ok: false, reason: [...reasons].join("; ") || "no caller is configured for this hook" };
  };
}
