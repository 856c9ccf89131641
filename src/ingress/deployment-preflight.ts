// The direct API's check before it accepts an operation that has one (template deployments): run
// under the managed identity, attributed to the caller, and turned into a 403 that names the
// resources outside the grants, or a 503 when ARM could not answer. Routes get the same check as a
// failed job, when the worker runs it.
import { randomUUID } from "node:crypto";
import type { AuditRecord } from "../audit/record.ts";
import type { ArmClients } from "../azure/arm-clients.ts";
import { ArmOperationError, describeArmError } from "../azure/errors.ts";
import type { Caller } from "../kernel/caller.ts";
import { AppError } from "../kernel/errors.ts";
import type { OperationContext, OperationDefinition } from "../operations/operation.ts";
import type { OperationRequest } from "../operations/request.ts";
import { type Authorizer, authorizeResourceChange } from "../policy/authorize.ts";
import { callerAttribution, withAttribution } from "../telemetry/attribution.ts";

export type Preflight = (
  caller: Caller,
  operation: OperationDefinition,
  request: OperationRequest,
  requestId: string,
) => Promise<void>;

export interface PreflightDeps {
  /**
   * ARM, built on first use; absent when the app runs without ARM: operations with a preflight are
   * then refused (fail closed).
   */
  arm: (() => Promise<ArmClients>) | undefined;
  authorize: Authorizer;
  audit: (records: AuditRecord[]) => Promise<void>;
  /** How long the check may take; the request is answered with 503 after that. */
  timeoutMs?: number;
}

export function createPreflight({ arm, authorize, audit, timeoutMs = 30_000 }: PreflightDeps): Preflight {
  return async (caller, operation, request, requestId) => {
    if (!operation.preflight) return;
    if (!arm) throw new AppError("unavailable", "armbridge cannot reach ARM to check this operation");
    const ctx: OperationContext = {
      arm: await arm(),
      signal: AbortSignal.timeout(timeoutMs),
      resumeFrom: undefined,
      trackLongRunning: () => Promise.reject(new Error("a preflight check never writes")),
      authorizeChange: (resourceId) =>
        authorizeResourceChange(authorize, caller.id, request.operation, resourceId),
    };
    const attribution = {
      ...callerAttribution(caller),
      jobId: "",
      requestId,
      routeId: request.routeId,
      operation: request.operation,
      scope: request.scope.path,
      correlationId: randomUUID(),
      clientRequestId: randomUUID(),
    };
    try {
      await withAttribution(
        attribution,
        () => operation.preflight?.(request.params, ctx) ?? Promise.resolve(),
      );
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal.code === "forbidden") {
        await audit([
          {
            time: new Date().toISOString(),
            requestId,
            callerId: caller.id,
            routeId: request.routeId,
            operation: request.operation,
            scope: request.scope.path,
            kind: "decision",
            decision: "deny",
            reason: refusal.detail,
          },
        ]).catch(() => undefined);
      }
      throw refusal;
    }
  };
}

/** A deployment outside the grants, or a what-if ARM refused: 403; ARM unreachable or throttling: 503. */
function refusalOf(err: unknown): AppError {
  if (err instanceof ArmOperationError && err.code === "DeploymentOutsideGrants") {
    const details = (err.details ?? []) as { target?: string; message?: string }[];
    return new AppError("forbidden", err.message, {
      extensions: {
        reasons: details.map((d) => d.message ?? ""),
        resources: details.map((d) => d.target ?? ""),
      },
    });
  }
  const failure = describeArmError(err);
  if (failure.retryable) {
    return new AppError(
      "unavailable",
      "ARM could not answer the deployment's what-if; nothing was accepted, retry later",
      {
        retryAfterSeconds: Math.max(1, Math.ceil((failure.retryAfterMs ?? 5000) / 1000)),
      },
    );
  }
  // ARM's answer about the caller's own template (InvalidTemplate, a preflight failure), as ARM gave it.
  return new AppError(
    "forbidden",
    `what-if of the deployment failed, so its changes cannot be checked against the grants: ${failure.code}: ${failure.message}`,
    {
      extensions: {
        arm: {
          code: failure.code,
          message: failure.message,
          ...(failure.details !== undefined ? { details: failure.details } : {}),
        },
      },
    },
  );
}
