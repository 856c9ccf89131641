// An operation request: an operation of the catalog with validated parameters and its canonical
// scope, ready for the policy. Routes and the direct API both build them here.
import { parseScope, type Scope } from "../kernel/arm-scope.ts";
import { findOperation } from "./catalog.ts";

export interface OperationRequest {
  /** The route and action that asked for it; `api` for the direct API. */
  routeId: string;
  actionIndex: number;
  operation: string;
  params: unknown;
  scope: Scope;
  /** The provider action the operation runs, when it runs one; grants must list it. */
  action?: string;
  /** Indexes of earlier requests of the same submission that must succeed before this one runs. */
  after?: number[];
}

export type Prepared = { ok: true; request: OperationRequest } | { ok: false; problems: string[] };

/** Validates `params` against the operation's schema; problems name the field (`{at}.{path}: reason`). */
export function prepareRequest(
  operationName: string,
  params: unknown,
  origin: { routeId: string; actionIndex: number },
  at: string,
): Prepared {
  const operation = findOperation(operationName);
  if (!operation) return { ok: false, problems: [`${at}: unknown operation '${operationName}'`] };
  const parsed = operation.input.safeParse(params);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => `${[at, ...i.path.map(String)].join(".")}: ${i.message}`),
    };
  }
  const scope = parseScope(operation.scope(parsed.data));
  if (!scope.ok) return { ok: false, problems: [`${at}: ${scope.reason}`] };
  return {
    ok: true,
    request: {
      ...origin,
      operation: operation.name,
      params: parsed.data,
      scope: scope.scope,
      ...(operation.providerAction ? { action: operation.providerAction(parsed.data) } : {}),
    },
  };
}
