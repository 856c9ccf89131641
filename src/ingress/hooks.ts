// POST /hooks/{hookId}: CI and generic webhooks, authenticated on the raw body before it is parsed.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { githubPayloadClaims } from "../callers/github-webhook.ts";
import type { HookConfig } from "../config/schema.ts";
import type { CallerGate } from "../http/caller-gate.ts";
import { acceptedContent, acceptedHeaders, PreferHeader } from "../http/job-schemas.ts";
import { problemResponses } from "../http/problem-docs.ts";
import { acceptedResponse } from "../http/responses.ts";
import { CALLER_SECURITY } from "../http/security-docs.ts";
import type { JobWaiter } from "../jobs/waiter.ts";
import type { Caller } from "../kernel/caller.ts";
import { AppError } from "../kernel/errors.ts";
import type { Router } from "../triggers/router.ts";
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
    if (!githubEvent) throw new AppError("bad_request", "missing X-GitHub-Event header");
    return githubEvent;
  }
  const type = (payload as { type?: unknown } | null)?.type;
  if (typeof type !== "string" || type === "") {
    throw new AppError("bad_request", "the body must name its event in a top-level string 'type'");
  }
  return type;
}

// Documented, not validated by zod: signatures cover the raw body bytes, which the handler reads itself.
const deliverHook = createRoute({
  method: "post",
  path: "/hooks/{hookId}",
  operationId: "deliverHook",
  tags: ["Webhooks"],
  summary: "Deliver a webhook from one of the hook's callers",
  description:
    "The caller is one of the hook's configured callers, found by its credential. GitHub deliveries name their event in `X-GitHub-Event`; all others in the body's top-level string `type`. The hook's routes turn the event into jobs; if any action is invalid or refused, none is queued.",
  security: CALLER_SECURITY,
  request: {
    params: z.object({ hookId: z.string().openapi({ example: "deploy" }) }),
    headers: z.object({
      "X-GitHub-Event": z
        .string()
        .optional()
        .openapi({ description: "A GitHub delivery's event", example: "push" }),
      "X-GitHub-Delivery": z
        .string()
        .optional()
        .openapi({ description: "A GitHub delivery's id: the same id answers with the same jobs" }),
      "webhook-id": z
        .string()
        .optional()
        .openapi({ description: "A Standard Webhooks message id: the same id answers with the same jobs" }),
      "webhook-timestamp": z
        .string()
        .regex(/^\d+$/)
        .optional()
        .openapi({ description: "Standard Webhooks: Unix seconds, within the caller's tolerance" }),
      "Idempotency-Key": z.string().optional().openapi({
        description: "For bearer callers (API key, OIDC): the same key answers with the same jobs",
      }),
      Prefer: PreferHeader,
    }),
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z
            .record(z.string(), z.unknown())
            .openapi({ description: "The event as the sender sends it" }),
          example: { ref: "refs/heads/main", repository: { name: "web", full_name: "contoso/web", id: 42 } },
        },
        "application/x-www-form-urlencoded": {
          schema: z.object({ payload: z.string().describe("The JSON event (GitHub's form content type)") }),
        },
      },
    },
  },
  responses: {
    202: { description: "Jobs accepted", headers: acceptedHeaders, content: acceptedContent },
    200: {
      description:
        "A repeated delivery id (`replayed`), an event no route wants (no jobs, a `message`), or with `Prefer: wait` jobs that all finished",
      content: acceptedContent,
    },
    ...problemResponses(
      "bad_request",
      "malformed_json",
      "invalid_parameters",
      "unauthenticated",
      "bad_signature",
      "forbidden",
      "unknown_hook",
      "payload_too_large",
      "unsupported_media_type",
      "rate_limited",
      "unavailable",
    ),
  },
});

export function registerHookRoutes(app: OpenAPIHono, deps: HookDeps): void {
  const hooks = new Map(deps.hooks.map((h) => [h.id, h]));
  app.openAPIRegistry.registerPath(deliverHook);

  app.post(deliverHook.getRoutingPath(), async (c) => {
    const hookId = c.req.param("hookId");
    const hook = hooks.get(hookId);
    if (!hook) throw new AppError("unknown_hook", `no hook '${hookId}' is configured`);

    const body = new Uint8Array(await c.req.arrayBuffer());
    const authed = await deps.gate(c, hook.callers, body);

    const payload = parseJsonBody(body, c.req.header("content-type"));
    const type = eventType(authed.caller, c.req.header("x-github-event"), payload);
    const caller =
      authed.caller.kind === "github-webhook"
        ? { ...authed.caller, ...githubPayloadClaims(authed.caller, payload) }
        : authed.caller;

    const headers: Record<string, string> = {};
    for (const h of FORWARDED_HEADERS) {
      const value = c.req.header(h);
      if (value) headers[h] = value;
    }
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
