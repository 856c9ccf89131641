// POST /hooks/{hookId}: CI and generic webhooks, authenticated on the raw body before it is parsed.
import type { Hono } from "hono";
import type { HookAuthenticator } from "../callers/authenticate.ts";
import { githubPayloadClaims } from "../callers/github-webhook.ts";
import type { HookConfig } from "../config/schema.ts";
import { BridgeError } from "../http/errors.ts";
import { acceptedResponse } from "../http/jobs-routes.ts";
import type { JobWaiter } from "../jobs/waiter.ts";
import type { Router } from "../routes/router.ts";
import { type AcceptDeps, accept } from "./accept.ts";
import { parseJsonBody } from "./json-body.ts";

export interface HookDeps extends AcceptDeps {
  hooks: readonly HookConfig[];
  authenticate: HookAuthenticator;
  route: Router;
  /** For `Prefer: wait=N`. */
  waiter: JobWaiter;
}

const FORWARDED_HEADERS = [
  "x-github-event",
  "x-github-delivery",
  "x-github-hook-id",
  "user-agent",
  "content-type",
];

export function registerHookRoutes(app: Hono, deps: HookDeps): void {
  const hooks = new Map(deps.hooks.map((h) => [h.id, h]));

  app.post("/hooks/:hookId", async (c) => {
    const hookId = c.req.param("hookId");
    const hook = hooks.get(hookId);
    if (!hook) throw new BridgeError("unknown_hook", `no hook '${hookId}' is configured`);

    const body = new Uint8Array(await c.req.arrayBuffer());
    const auth = deps.authenticate(hook.callers, { body, headers: c.req.raw.headers });
    if (!auth.ok) throw new BridgeError("bad_signature", auth.reason);

    const payload = parseJsonBody(body, c.req.header("content-type"));
    const type = c.req.header("x-github-event");
    if (!type) throw new BridgeError("bad_request", "missing X-GitHub-Event header");
    const deliveryId = c.req.header("x-github-delivery");
    const caller = { ...auth.caller, ...githubPayloadClaims(auth.caller, payload) };

    const headers = Object.fromEntries(
      FORWARDED_HEADERS.flatMap((h) => (c.req.header(h) ? [[h, c.req.header(h) as string]] : [])),
    );
    const requests = deps.route(
      hookId,
      { source: `hook:${hookId}`, id: deliveryId, type, subject: undefined, data: payload, headers },
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
      idempotencyKey: deliveryId ? `hook:${hookId}:${deliveryId}` : undefined,
    });
    return acceptedResponse(c, result, deps.waiter);
  });
}
