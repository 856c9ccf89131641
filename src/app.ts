// Builds the HTTP app from explicit dependencies. Pure: no listening, no globals; tests use it directly.

import { OpenAPIHono } from "@hono/zod-openapi";
import type { BlankEnv, BlankSchema } from "hono/types";
import type { ArmClients } from "./azure/arm-clients.ts";
import { type AuthenticatorOptions, createAuthenticator } from "./callers/authenticate.ts";
import { createRateLimiter, shareOfRateLimits } from "./callers/rate-limit.ts";
import type { Config } from "./config/schema.ts";
import { registerAuditRoutes } from "./http/audit-routes.ts";
import { createCallerGate } from "./http/caller-gate.ts";
import { registerDocsRoutes } from "./http/docs-routes.ts";
import { problemResponse } from "./http/errors.ts";
import { type ReadinessCheck, registerHealthRoutes } from "./http/health-routes.ts";
import { registerJobRoutes } from "./http/jobs-routes.ts";
import { registerMetricsRoute } from "./http/metrics-routes.ts";
import { accessLog, limitBody, requestIds } from "./http/middleware.ts";
import { registerWhoamiRoutes } from "./http/whoami-routes.ts";
import { registerApiRoutes } from "./ingress/api.ts";
import { createPreflight } from "./ingress/deployment-preflight.ts";
import { registerEventRoutes } from "./ingress/events.ts";
import { registerHookRoutes } from "./ingress/hooks.ts";
import type { JobProgressReader } from "./jobs/progress.ts";
import type { JobStore } from "./jobs/store.ts";
import type { JobWaiter } from "./jobs/waiter.ts";
import { AppError, isAppError } from "./kernel/errors.ts";
import { newId } from "./kernel/ids.ts";
import { operationNames } from "./operations/catalog.ts";
import { createAuthorizer } from "./policy/authorize.ts";
import { traceRequests } from "./telemetry/http-spans.ts";
import type { Logger } from "./telemetry/logger.ts";
import { type BridgeMetrics, noopMetrics } from "./telemetry/metrics.ts";
import { createRouter } from "./triggers/router.ts";

export interface AppDeps {
  config: Config;
  store: JobStore;
  /** Wakes `Prefer: wait=N` requests when their jobs finish. */
  waiter: JobWaiter;
  logger: Logger;
  /** Readiness checks beyond the store's, e.g. that the managed identity can get a token. */
  readiness?: Record<string, ReadinessCheck>;
  onAccepted?: () => void;
  /** JWKS caching and the clock of caller authentication (tests shorten the JWKS cooldown). */
  authentication?: AuthenticatorOptions;
  metrics?: BridgeMetrics;
  /** The metrics in the Prometheus text format; with it, `GET /metrics` serves them. */
  scrapeMetrics?: () => Promise<string>;
  /** A running job's progress read from ARM, shown by `GET /v1/jobs/{id}`. */
  jobProgress?: JobProgressReader;
  /** The telemetry instance of this process (jobs it accepts are parented to their request's span). */
  instanceId?: string;
  /** ARM under the managed identity, for checks before accepting (a deployment's what-if); built on first use. */
  arm?: () => Promise<ArmClients>;
}

export function createApp(deps: AppDeps): OpenAPIHono<BlankEnv, BlankSchema> {
  const { config, store, waiter, logger } = deps;
  const onAccepted = deps.onAccepted ?? (() => {});
  const metrics = deps.metrics ?? noopMetrics();
  const instanceId = deps.instanceId ?? newId();
  const app = new OpenAPIHono<BlankEnv, BlankSchema>({
    // A parameter, query or header that fails its route's schema is a precise 400 like any other.
    defaultHook: (result) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      throw new AppError(
        "bad_request",
        `${result.target} ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
      );
    },
  });

  app.use(requestIds());
  app.use(traceRequests(metrics));
  app.use(accessLog(logger));
  const sourceLimits = new Map(config.sources.map((s) => [`/events/${s.id}`, s.maxBodyBytes]));
  app.use(limitBody(config.server.bodyLimitBytes, (path) => sourceLimits.get(path)));

  const gate = createCallerGate({
    authenticate: createAuthenticator(config.callers, deps.authentication),
    rateLimit: createRateLimiter(
      shareOfRateLimits(
        new Map(config.callers.flatMap((c) => (c.rateLimit ? [[c.id, c.rateLimit]] : []))),
        config.store.engine === "azure-storage" ? config.store.replicas : 1,
      ),
    ),
    logger,
    audit: (records) => store.appendAudit(records),
    metrics,
  });

  const accepting = {
    store,
    authorize: createAuthorizer(config.grants),
    logger,
    metrics,
    instanceId,
    onAccepted,
  };
  const route = createRouter(config.routes);
  registerHealthRoutes(app, { store: () => store.ping(), ...deps.readiness });
  registerHookRoutes(app, { ...accepting, hooks: config.hooks, gate, route, waiter });
  registerEventRoutes(app, { ...accepting, sources: config.sources, gate, route });
  const preflight = createPreflight({
    arm: deps.arm,
    authorize: accepting.authorize,
    audit: (records) => store.appendAudit(records),
  });
  registerApiRoutes(app, {
    ...accepting,
    gate,
    preflight,
    callerIds: config.callers.map((c) => c.id),
    waiter,
  });
  registerWhoamiRoutes(app, {
    gate,
    callerIds: config.callers.map((c) => c.id),
    grants: config.grants,
    operationNames,
  });
  registerJobRoutes(app, {
    store,
    waiter,
    operators: config.operators,
    gate,
    onAccepted,
    ...(deps.jobProgress ? { progressOf: deps.jobProgress } : {}),
  });
  registerAuditRoutes(app, { store, operators: config.operators });
  registerDocsRoutes(app);
  if (deps.scrapeMetrics) registerMetricsRoute(app, deps.scrapeMetrics);

  app.notFound((c) => {
    const err = new AppError("not_found", `no route for ${c.req.method} ${c.req.path}`);
    c.set("problem", { code: err.code, detail: err.detail });
    return problemResponse(c, err);
  });

  app.onError((err, c) => {
    if (isAppError(err)) {
      c.set("problem", { code: err.code, detail: err.detail });
      return problemResponse(c, err);
    }
    // Unknown errors are logged in full with the request id and answered with nothing they contain.
    logger.error({ err, requestId: c.get("requestId") }, "unhandled error");
    const internal = new AppError(
      "internal",
      "an internal error occurred; quote the request id when reporting it",
    );
    c.set("problem", { code: internal.code, detail: internal.detail });
    return problemResponse(c, internal);
  });

  return app;
}
