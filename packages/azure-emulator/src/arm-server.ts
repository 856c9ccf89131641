// The ARM front door: request ids, auth, api-version, throttling, RBAC, faults, then the handler.
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { ArmError } from "./arm/arm-error.ts";
import type { ArmContext, ArmRequest, ArmResult } from "./arm/context.ts";
import { type FaultDecision, type FaultInjector, faultBody } from "./arm/faults.ts";
import { RESOURCES_PROVIDER } from "./arm/provider-registry.ts";
import { authorizationFailed, isAuthorized } from "./arm/rbac.ts";
import { resolveRoute } from "./arm/router.ts";
import { requestKind, type Throttle } from "./arm/throttle.ts";
import type { RequestLog } from "./request-log.ts";
import type { TokenAuthority } from "./tokens.ts";
import type { EmulatedIdentity, RecordedRequest } from "./types.ts";

export interface ArmServerDeps {
  ctx: ArmContext;
  identities: EmulatedIdentity[];
  tokens: TokenAuthority;
  throttle: Throttle;
  faults: FaultInjector;
  log: RequestLog;
  latencyMs: () => number;
  /** Waits `ms` or until the emulator stops or the request closes. */
  hang: (ms: number, req: http.IncomingMessage) => Promise<void>;
  control: (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: { pathname: string; searchParams: URLSearchParams },
    body: string,
  ) => void;
}

const MAX_BODY = 4 * 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function decodeSegments(pathname: string): string[] {
  return pathname
    .split("/")
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function createArmHandler(deps: ArmServerDeps): http.RequestListener {
  return (req, res) => {
    void handle(deps, req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        const message = error instanceof Error ? error.message : String(error);
        res.writeHead(500, { "Content-Type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ error: { code: "InternalServerError", message } }));
      }
    });
  };
}

async function handle(
  deps: ArmServerDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  // Not `new URL(req.url)`: SDK paths like "//subscriptions/..." (from "/{+scope}") would parse as a host.
  const [pathname = "/", search = ""] = (req.url ?? "/").split("?", 2);
  const url = { pathname, searchParams: new URLSearchParams(search) };
  const rawBody = await readBody(req);
  if (url.pathname.startsWith("/_emulator/")) {
    deps.control(req, res, url, rawBody);
    return;
  }
  const method = (req.method ?? "GET").toUpperCase();
  const segments = decodeSegments(url.pathname);
  const path = `/${segments.join("/")}`;
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const armRequestId = randomUUID();
  const correlationId = header("x-ms-correlation-request-id") ?? randomUUID();
  const apiVersion = url.searchParams.get("api-version") ?? undefined;
  const record: RecordedRequest = deps.log.add({
    at: new Date().toISOString(),
    method,
    path: req.url ?? "/",
    canonicalPath: path.toLowerCase(),
    ...(apiVersion ? { apiVersion } : {}),
    ...(header("x-ms-client-request-id") ? { clientRequestId: header("x-ms-client-request-id") } : {}),
    correlationId,
    status: 0,
    armRequestId,
  });
  const headers: Record<string, string> = {
    "Cache-Control": "no-cache",
    Pragma: "no-cache",
    Expires: "-1",
    "x-ms-request-id": armRequestId,
    "x-ms-correlation-request-id": correlationId,
    "x-ms-routing-request-id": `WESTUS:${new Date().toISOString().replace(/[-:]|\.\d+/g, "")}:${armRequestId}`,
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
  };
  const send = (result: ArmResult) => {
    record.status = result.status;
    if (res.destroyed) return;
    const all = { ...headers, ...result.headers };
    const noBody = method === "HEAD" || result.status === 204 || result.body === undefined;
    const text = noBody ? "" : JSON.stringify(result.body);
    if (!noBody) all["Content-Type"] = "application/json; charset=utf-8";
    all["Content-Length"] = String(Buffer.byteLength(text));
    res.writeHead(result.status, all);
    res.end(text);
  };
  const sendError = (error: ArmError) =>
    send({ status: error.status, body: error.toBody(), headers: error.headers });
  const sendFault = async (decision: Exclude<FaultDecision, undefined>) => {
    deps.log.faulted++;
    if (decision.type === "timeout") {
      record.fault = "timeout";
      await deps.hang(decision.ms, req);
      if (res.destroyed || !res.socket || res.socket.destroyed) {
        record.status = 499;
        return;
      }
      sendError(new ArmError(504, "GatewayTimeout", faultBody(504).message));
      return;
    }
    record.fault = "status";
    const { code, message } = faultBody(decision.status);
    sendError(
      new ArmError(decision.status, code, message, {
        headers: decision.status === 429 ? { "Retry-After": "1" } : {},
      }),
    );
  };

  const latency = deps.latencyMs();
  if (latency > 0) await deps.hang(latency, req);
  try {
    const principal = await authenticate(deps, header("authorization"), headers);
    record.principalId = principal.principalId;
    if (!apiVersion) {
      throw new ArmError(
        400,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
      );
    }
    const route = resolveRoute(method, segments, path);
    // Operation status URLs carry the api-version of the request that started them (a provider's, too).
    if (route.operationId === undefined) checkArmApiVersion(route.action, apiVersion);
    let subscriptionId: string | undefined;
    if (route.subscriptionId !== undefined) {
      subscriptionId = deps.ctx.subscriptions.find(
        (s) => s.toLowerCase() === route.subscriptionId?.toLowerCase(),
      );
      if (!subscriptionId) {
        throw new ArmError(
          404,
          "SubscriptionNotFound",
          `The subscription '${route.subscriptionId}' could not be found.`,
        );
      }
    }
    const kind = requestKind(method);
    const taken = deps.throttle.take(subscriptionId ?? "tenant", principal.principalId, kind);
    if (!taken.ok) {
      record.throttled = true;
      deps.log.throttled++;
      // ARM's own code for a subscription's exhausted bucket, with the bucket's (empty) remaining count.
      throw new ArmError(
        429,
        "SubscriptionRequestsThrottled",
        `Number of '${kind.slice(0, -1)}' requests for subscription '${subscriptionId ?? ""}' actor '${principal.principalId}' exceeded. Please try again after '${taken.retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`,
        {
          headers: {
            "Retry-After": String(taken.retryAfterSeconds),
            [`x-ms-ratelimit-remaining-subscription-${kind}`]: "0",
          },
        },
      );
    }
    if (deps.throttle.enabled) {
      headers[`x-ms-ratelimit-remaining-subscription-${kind}`] = String(taken.remaining);
    }
    const ownOperation =
      route.operationId !== undefined &&
      deps.ctx.operations.get(route.operationId)?.principalId === principal.principalId;
    if (route.action && !ownOperation && !isAuthorized(principal, route.action, route.scope)) {
      throw authorizationFailed(principal, route.action, route.scope);
    }
    const fault = deps.faults.decide(method);
    if (fault && deps.faults.phase === "before") {
      await sendFault(fault);
      return;
    }
    const armReq: ArmRequest = {
      method,
      segments,
      path,
      query: url.searchParams,
      apiVersion,
      body: parseBody(rawBody),
      principal,
      baseUrl: `https://${header("host") ?? "127.0.0.1"}`,
      correlationId,
    };
    const result = await route.handle(deps.ctx, armReq);
    if (fault) {
      await sendFault(fault);
      return;
    }
    send(result);
  } catch (error) {
    if (error instanceof ArmError) sendError(error);
    else throw error;
  }
}

/** ARM serves Microsoft.Resources itself and refuses an api-version it does not have (providers answer for theirs). */
function checkArmApiVersion(action: string | undefined, apiVersion: string): void {
  if (action !== undefined && !action.toLowerCase().startsWith("microsoft.resources/")) return;
  const supported = RESOURCES_PROVIDER.resourceTypes[0]?.apiVersions ?? [];
  if (supported.some((v) => v.toLowerCase() === apiVersion.toLowerCase())) return;
  throw new ArmError(
    400,
    "InvalidApiVersionParameter",
    `The api-version '${apiVersion}' is invalid. The supported versions are '${supported.join(",")}'.`,
  );
}

function parseBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ArmError(
      400,
      "InvalidRequestContent",
      `The request content was invalid and could not be deserialized: '${error instanceof Error ? error.message : "invalid JSON"}'.`,
    );
  }
}

async function authenticate(
  deps: ArmServerDeps,
  authorization: string | undefined,
  headers: Record<string, string>,
): Promise<EmulatedIdentity> {
  const tenant = deps.ctx.tenantId;
  const challenge = (description: string) => {
    headers["WWW-Authenticate"] =
      `Bearer authorization_uri="https://login.windows.net/${tenant}", error="invalid_token", error_description="${description}"`;
  };
  if (!authorization) {
    challenge("The authentication failed because of missing 'Authorization' header.");
    throw new ArmError(
      401,
      "AuthenticationFailed",
      "Authentication failed. The 'Authorization' header is missing.",
    );
  }
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match?.[1]) {
    challenge("The authentication failed because of invalid 'Authorization' header format.");
    throw new ArmError(
      401,
      "AuthenticationFailed",
      "Authentication failed. The 'Authorization' header is provided in an invalid format.",
    );
  }
  const verified = await deps.tokens.verify(match[1]);
  if (!verified.ok) {
    challenge(verified.description);
    throw new ArmError(401, verified.code, verified.message);
  }
  const identity = deps.identities.find(
    (i) => i.principalId.toLowerCase() === verified.claims.oid.toLowerCase(),
  );
  if (!identity) {
    challenge("The access token is from an unknown principal.");
    throw new ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.");
  }
  return identity;
}
