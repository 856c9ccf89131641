// Maps an ARM path to its handler, the RBAC action it needs and the scope that action is checked at.
import { ArmError } from "./arm-error.ts";
import type { ArmContext, ArmRequest, ArmResult } from "./context.ts";
import { providerOperation } from "./handlers/async-writes.ts";
import {
  cancelDeployment,
  getDeploymentOperationStatus,
  listDeploymentOperations,
} from "./handlers/deployment-operations.ts";
import {
  type DeploymentPath,
  handleDeployment,
  listDeployments,
  validateDeployment,
  whatIfDeployment,
} from "./handlers/deployments.ts";
import { handleResourceGroup, listResourceGroups } from "./handlers/resource-groups.ts";
import { handleResource, handleResourceAction, listResources } from "./handlers/resources.ts";
import {
  getOperationResult,
  getProvider,
  getSubscription,
  listProviders,
  listSubscriptions,
} from "./handlers/subscriptions.ts";
import { handleTags } from "./handlers/tags.ts";

export interface Route {
  /** Undefined: no RBAC check (subscription listing filters by assignments instead). */
  action?: string;
  scope: string;
  /** Subscription as addressed; checked to exist and used for throttling. */
  subscriptionId?: string;
  /** Operation polling: the principal that started the operation may always poll it. */
  operationId?: string;
  handle: (ctx: ArmContext, req: ArmRequest) => ArmResult | Promise<ArmResult>;
}

const VERBS: Record<string, string> = {
  GET: "read",
  HEAD: "read",
  PUT: "write",
  PATCH: "write",
  DELETE: "delete",
};

function verb(method: string): string {
  const v = VERBS[method];
  if (!v) throw new ArmError(405, "MethodNotAllowed", `The requested method '${method}' is not allowed.`);
  return v;
}

function notFound(path: string): ArmError {
  return new ArmError(404, "NotFound", `The requested resource '${path}' was not found.`);
}

const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

export function resolveRoute(method: string, segs: string[], path: string): Route {
  const n = segs.length;
  if (n === 0 || !eq(segs[0], "subscriptions")) throw notFound(path);
  if (n === 1) {
    if (method !== "GET") verb("POST");
    return { scope: "/", handle: listSubscriptions };
  }
  const sub = segs[1] ?? "";
  const subScope = `/subscriptions/${sub}`;
  const base = { subscriptionId: sub };
  if (n === 2) {
    return {
      ...base,
      action: `Microsoft.Resources/subscriptions/${verb(method)}`,
      scope: subScope,
      handle: (ctx) => getSubscription(ctx, sub),
    };
  }
  // {scope}/providers/Microsoft.Resources/tags/default
  if (
    n >= 6 &&
    eq(segs[n - 4], "providers") &&
    eq(segs[n - 3], "Microsoft.Resources") &&
    eq(segs[n - 2], "tags") &&
    eq(segs[n - 1], "default")
  ) {
    const scopeSegs = segs.slice(0, n - 4);
    const tagVerb = verb(method);
    return {
      ...base,
      action: `Microsoft.Resources/tags/${tagVerb}`,
      scope: `/${scopeSegs.join("/")}`,
      handle: (ctx, req) => handleTags(ctx, req, sub, scopeSegs),
    };
  }
  const third = segs[2];
  if (eq(third, "operationresults") && n === 4) {
    return {
      ...base,
      action: "Microsoft.Resources/subscriptions/operationresults/read",
      scope: subScope,
      operationId: segs[3],
      handle: (ctx, req) => getOperationResult(ctx, req, segs[3] ?? ""),
    };
  }
  if (eq(third, "resources") && n === 3) {
    return {
      ...base,
      action: "Microsoft.Resources/subscriptions/resources/read",
      scope: subScope,
      handle: (ctx) => listResources(ctx, sub),
    };
  }
  if (eq(third, "providers")) {
    if (n >= 6 && eq(segs[3], "Microsoft.Resources") && eq(segs[4], "deployments")) {
      return deploymentRoute(
        method,
        segs.slice(5),
        { subscriptionId: sub },
        `/${segs.slice(0, 5).join("/")}`,
      );
    }
    if (n === 8 && eq(segs[4], "locations")) {
      const kind = (segs[6] ?? "").toLowerCase();
      return {
        ...base,
        action: `${segs[3]}/locations/${kind}/read`,
        scope: subScope,
        operationId: segs[7],
        handle: (ctx, req) => providerOperation(ctx, req, kind, segs[7] ?? ""),
      };
    }
    if (n === 3)
      return {
        ...base,
        action: "Microsoft.Resources/subscriptions/providers/read",
        scope: subScope,
        handle: () => listProviders(sub),
      };
    if (n === 4)
      return {
        ...base,
        action: "Microsoft.Resources/subscriptions/providers/read",
        scope: subScope,
        handle: () => getProvider(sub, segs[3] ?? ""),
      };
    throw notFound(path);
  }
  if (!eq(third, "resourceGroups")) throw notFound(path);
  const rgAction = (v: string) => `Microsoft.Resources/subscriptions/resourceGroups/${v}`;
  if (n === 3) {
    return {
      ...base,
      action: rgAction(verb(method)),
      scope: subScope,
      handle: (ctx) => listResourceGroups(ctx, sub),
    };
  }
  const rg = segs[3] ?? "";
  const rgScope = `/${segs.slice(0, 4).join("/")}`;
  if (n === 4) {
    return {
      ...base,
      action: rgAction(verb(method)),
      scope: rgScope,
      handle: (ctx, req) => handleResourceGroup(ctx, req, sub, rg),
    };
  }
  if (n === 5 && eq(segs[4], "resources")) {
    return {
      ...base,
      action: "Microsoft.Resources/subscriptions/resourceGroups/resources/read",
      scope: rgScope,
      handle: (ctx) => listResources(ctx, sub, rg),
    };
  }
  // Deployment operations have a path of their own: /resourcegroups/{rg}/deployments/{name}/operations.
  if (n >= 7 && eq(segs[4], "deployments") && eq(segs[6], "operations")) {
    return deploymentRoute(
      method,
      segs.slice(5),
      { subscriptionId: sub, resourceGroup: rg },
      `/${[...segs.slice(0, 4), "providers", "Microsoft.Resources", "deployments"].join("/")}`,
    );
  }
  if (!eq(segs[4], "providers") || n < 7) throw notFound(path);
  const namespace = segs[5] ?? "";
  if (eq(namespace, "Microsoft.Resources") && eq(segs[6], "deployments")) {
    return deploymentRoute(
      method,
      segs.slice(7),
      { subscriptionId: sub, resourceGroup: rg },
      `/${segs.slice(0, 7).join("/")}`,
    );
  }
  const rest = segs.slice(6);
  const id = `/${segs.join("/")}`;
  if (rest.length % 2 === 0) {
    const types = rest.filter((_, i) => i % 2 === 0);
    const names = rest.filter((_, i) => i % 2 === 1);
    const resourcePath = { subscriptionId: sub, resourceGroup: rg, namespace, types, names };
    return {
      ...base,
      action: `${namespace}/${types.join("/")}/${verb(method)}`,
      scope: id,
      handle: (ctx, req) => handleResource(ctx, req, resourcePath),
    };
  }
  if (method !== "POST" || rest.length < 3) throw notFound(path);
  const action = rest[rest.length - 1] ?? "";
  const target = rest.slice(0, -1);
  const types = target.filter((_, i) => i % 2 === 0);
  const names = target.filter((_, i) => i % 2 === 1);
  const resourcePath = { subscriptionId: sub, resourceGroup: rg, namespace, types, names };
  return {
    ...base,
    action: `${namespace}/${types.join("/")}/${action}/action`,
    scope: id.split("/").slice(0, -1).join("/"),
    handle: (ctx, req) => handleResourceAction(ctx, req, resourcePath, action),
  };
}

function deploymentRoute(method: string, rest: string[], p: DeploymentPath, root: string): Route {
  const base = { subscriptionId: p.subscriptionId };
  const action = (v: string) => `Microsoft.Resources/deployments/${v}`;
  const scopeOf = (name: string) => `${root}/${name}`;
  if (rest.length === 0) {
    if (method !== "GET") verb("POST");
    return { ...base, action: action("read"), scope: root, handle: (ctx) => listDeployments(ctx, p) };
  }
  const name = rest[0] ?? "";
  const named = { ...p, name };
  if (rest.length === 1) {
    return {
      ...base,
      action: action(verb(method)),
      scope: scopeOf(name),
      handle: (ctx, req) => handleDeployment(ctx, req, named),
    };
  }
  const sub = rest[1]?.toLowerCase();
  if (rest.length === 2 && method === "POST" && sub === "validate") {
    return {
      ...base,
      action: action("validate/action"),
      scope: scopeOf(name),
      handle: (ctx, req) => validateDeployment(ctx, req, named),
    };
  }
  if (rest.length === 2 && method === "POST" && sub === "whatif") {
    return {
      ...base,
      action: action("whatIf/action"),
      scope: scopeOf(name),
      handle: (ctx, req) => whatIfDeployment(ctx, req, named),
    };
  }
  if (rest.length === 2 && method === "POST" && sub === "cancel") {
    return {
      ...base,
      action: action("cancel/action"),
      scope: scopeOf(name),
      handle: (ctx) => cancelDeployment(ctx, named),
    };
  }
  if ((rest.length === 2 || rest.length === 3) && method === "GET" && sub === "operations") {
    return {
      ...base,
      action: "Microsoft.Resources/deployments/operations/read",
      scope: scopeOf(name),
      handle: (ctx) => listDeploymentOperations(ctx, named, rest[2]),
    };
  }
  if (rest.length === 3 && method === "GET" && sub === "operationstatuses") {
    const opId = rest[2] ?? "";
    return {
      ...base,
      action: action("operationstatuses/read"),
      scope: scopeOf(name),
      operationId: opId,
      handle: (ctx) => getDeploymentOperationStatus(ctx, opId),
    };
  }
  throw notFound(`${root}/${rest.join("/")}`);
}
