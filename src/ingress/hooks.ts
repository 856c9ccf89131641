// POST /hooks/{hookId}: CI and generic webhooks, authenticated on the raw body before it is parsed.
import type { Hono } from "hono";
import type { Caller } from "../callers/caller.ts";
import { githubPayloadClaims } from "../callers/github-webhook.ts";
import type { HookConfig } from "../config/schema.ts";
import type { CallerGate } from "../http/caller-gate.ts";
import { BridgeError } from "../http/errors.ts";
import { acceptedResponse } from "../http/jobs-routes.ts";
import type { JobWaiter } from "../jobs/waiter.ts";
import type { Router } from "../routes/router.ts";
import { type AcceptDeps, accept } from "./accept.ts";
import { parseJsonBody } from "./json-body.ts";

export interface HookDeps extends AcceptDeps {
  hooks: readonly HookConfig[];
  gate: CallerGate;
  route: Router;
  /** For `Prefer: wait=N`. */
  waiter: JobWaiter;
}

const FORWARDED_HEADERS = [
  "x-github-event",
  "x-github-delivery",
  "x-github-hook-id",
  "webhook-id",
  "user-agent",
  "content-type",
];

/**
 * The event type: GitHub names it in `X-GitHub-Event`; every other caller names it in the body's
 * top-level `type` (the Standard Webhooks payload shape), which the signature or token covers.
 */
function eventType(caller: Caller, githubEvent: string | undefined, payload: unknown): string {
  if (caller.kind === "github-webhook") {
    if (!githubEvent) throw new BridgeError("bad_request", "missing X-GitHub-Event header");
    return githubEvent;
  }
  const type = (payload as { type?: unknown } | null)?.type;
  if (typeof type !== "string" || type === "") {
    throw new BridgeError("bad_request", "the body must name its event in a top-level string 'type'");
  }
  return type;
}

export function registerHookRoutes(app: Hono, deps: HookDeps): void {
  const hooks = new Map(deps.hooks.map((h) => [h.id, h]));

  app.post("/hooks/:hookId", async (c) => {
    const hookId = c.req.param("hookId");
    const hook = hooks.get(hookId);
    if (!hook) throw new BridgeError("unknown_hook", `no hook '${hookId}' is configured`);

    const body = new Uint8Array(await c.req.arrayBuffer());
    const authed = await deps.gate(c, hook.callers, body);

    const payload = parseJsonBody(body, c.req.header("content-type"));
    const type = eventType(authed.caller, c.req.header("x-github-event"), payload);
    const caller =
      authed.caller.kind === "github-webhook"
        ? { ...authed.caller, ...githubPayloadClaims(authed.caller, payload) }
        : authed.caller;

    const headers = Object.fromEntries(
      FORWARDED_HEADERS.flatMap((h) => (c.req.header(h) ? [[h, c.req.header(h) as string]] : [])),
    );
    const requests = deps.route(
      `hook:${hookId}`,
      { source: `hook:${hookId}`, id: authed.deliveryId, type, subject: undefined, data: payload, headers },
      caller,
    );
    if (requests.length === 0) {
      // GitHub counts 2xx as delivered; an event no route wants (a `ping`, say) is not an error.
      return c.json({ jobs: [], message: `no route of hook '${hookId}' matches event '${type}'` }, 200);
    }
    const result = await accept(deps, {
      caller,
      requests,
      requestId: c.get("requestId"),
      // Scoped to the caller, so one caller's delivery id can never answer with another caller's job.
      idempotencyKey: authed.deliveryId ? `hook:${hookId}:${caller.id}:${authed.deliveryId}` : undefined,
    });
    return acceptedResponse(c, result, deps.waiter);
  });
}
