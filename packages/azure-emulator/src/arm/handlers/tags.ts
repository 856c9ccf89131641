// Tags at scope: {scope}/providers/Microsoft.Resources/tags/default on a subscription, group or resource.
import { ArmError, resourceGroupNotFound } from "../arm-error.ts";
import { type ArmContext, type ArmRequest, type ArmResult, objectBody, stringRecord } from "../context.ts";

interface TagTarget {
  read(): Record<string, string>;
  write(tags: Record<string, string>): void;
  scope: string;
}

function target(ctx: ArmContext, subscriptionId: string, scopeSegments: string[]): TagTarget {
  if (scopeSegments.length === 2) {
    return {
      scope: `/subscriptions/${subscriptionId}`,
      read: () => ctx.store.tagsOfSubscription(subscriptionId),
      write: (tags) => ctx.store.setSubscriptionTags(subscriptionId, tags),
    };
  }
  const scopeId = `/${scopeSegments.join("/")}`;
  const entry = ctx.store.get(scopeId);
  if (!entry) {
    const rgName = scopeSegments[3] ?? "";
    if (
      scopeSegments.length === 4 ||
      !ctx.store.get(`/subscriptions/${subscriptionId}/resourceGroups/${rgName}`)
    ) {
      throw resourceGroupNotFound(rgName);
    }
    throw new ArmError(
      404,
      "ResourceNotFound",
      `The Resource '${scopeSegments.slice(6).join("/")}' under resource group '${rgName}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }
  return {
    scope: entry.body.id,
    read: () => (entry.body.tags ?? {}) as Record<string, string>,
    write: (tags) => ctx.store.set(entry.kind, { ...entry.body, tags }),
  };
}

function tagsResource(scope: string, tags: Record<string, string>) {
  return {
    id: `${scope}/providers/Microsoft.Resources/tags/default`,
    name: "default",
    type: "Microsoft.Resources/tags",
    properties: { tags },
  };
}

export function handleTags(
  ctx: ArmContext,
  req: ArmRequest,
  subscriptionId: string,
  scopeSegments: string[],
): ArmResult {
  const t = target(ctx, subscriptionId, scopeSegments);
  const tagsId = `${t.scope}/providers/Microsoft.Resources/tags/default`;
  switch (req.method) {
    case "GET":
      return { status: 200, body: tagsResource(t.scope, t.read()) };
    case "PUT": {
      const body = objectBody(req);
      const tags =
        stringRecord((body.properties as { tags?: unknown } | undefined)?.tags, "properties.tags") ?? {};
      t.write(tags);
      ctx.store.recordEffect("PUT", tagsId);
      return { status: 200, body: tagsResource(t.scope, tags) };
    }
    case "PATCH": {
      const body = objectBody(req);
      const given =
        stringRecord((body.properties as { tags?: unknown } | undefined)?.tags, "properties.tags") ?? {};
      const operation = String(body.operation ?? "").toLowerCase();
      let tags: Record<string, string>;
      if (operation === "merge") tags = { ...t.read(), ...given };
      else if (operation === "replace") tags = given;
      else if (operation === "delete") {
        tags = Object.fromEntries(
          Object.entries(t.read()).filter(([k, v]) => !(k in given) || (given[k] !== "" && given[k] !== v)),
        );
      } else {
        throw new ArmError(
          400,
          "InvalidRequestContent",
          `The request content was invalid and could not be deserialized: 'Error converting value "${String(body.operation)}" to type 'TagsPatchOperation'. Path 'operation'.'.`,
        );
      }
      t.write(tags);
      ctx.store.recordEffect("PATCH", tagsId);
      return { status: 200, body: tagsResource(t.scope, tags) };
    }
    case "DELETE":
      t.write({});
      ctx.store.recordEffect("DELETE", tagsId);
      return { status: 200 };
    default:
      throw new ArmError(405, "MethodNotAllowed", `The requested method '${req.method}' is not allowed.`);
  }
}
