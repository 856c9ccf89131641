// From an event to the operations it asks for: match routes, render parameters, validate them.

import type { RouteConfig } from "../config/schema.ts";
import type { Caller } from "../kernel/caller.ts";
import { AppError } from "../kernel/errors.ts";
import { type OperationRequest, prepareRequest } from "../operations/request.ts";
import type { BridgeEvent } from "./event.ts";
import { matchesFilter } from "./filter.ts";
import { renderTemplate, TemplateError } from "./template.ts";

/** An entry point whose events routes listen to: `hook:{id}` or `source:{id}`. */
export type EntryPoint = `hook:${string}` | `source:${string}`;

export type Router = (entry: EntryPoint, event: BridgeEvent, caller: Caller) => OperationRequest[];

function entryOf(trigger: RouteConfig["trigger"]): EntryPoint {
  return trigger.hook !== undefined ? `hook:${trigger.hook}` : `source:${trigger.source}`;
}

export function createRouter(routes: readonly RouteConfig[]): Router {
  const entries = routes.map((r) => entryOf(r.trigger));
  return (entry, event, caller) => {
    const context = {
      event,
      caller: {
        id: caller.id,
        kind: caller.kind,
        subject: caller.subject,
        claims: caller.claims,
        ...(caller.onBehalfOf ? { onBehalfOf: caller.onBehalfOf } : {}),
      },
    };
    const matched = routes.filter(
      (r, i) =>
        entries[i] === entry &&
        (r.trigger.events.length === 0 || r.trigger.events.includes(event.type)) &&
        (r.trigger.filter === undefined || matchesFilter(r.trigger.filter, context)),
    );
    const problems: string[] = [];
    const requests: OperationRequest[] = [];
    for (const route of matched) {
      // Where each named action of this route lands in the submission, for `after`.
      const position = new Map<string, number>();
      route.actions.forEach((action, actionIndex) => {
        const where = `routes.${route.id}.actions[${actionIndex}]`;
        let rendered: unknown;
        try {
          rendered = renderTemplate(action.parameters, context);
        } catch (err) {
          if (!(err instanceof TemplateError)) throw err;
          problems.push(`${where}.${err.message}`);
          return;
        }
        const prepared = prepareRequest(
          action.operation,
          rendered,
          { routeId: route.id, actionIndex },
          `${where}.parameters`,
        );
        if (!prepared.ok) {
          problems.push(...prepared.problems);
          return;
        }
        const after = action.after?.map((name) => position.get(name) as number);
        if (action.id !== undefined) position.set(action.id, requests.length);
        requests.push({ ...prepared.request, ...(after ? { after } : {}) });
      });
    }
    if (problems.length > 0) {
      // Nothing is queued when any action of the event is invalid: a half-run event is worse than none.
      throw new AppError("invalid_parameters", "the event does not produce valid operation parameters", {
        extensions: { errors: problems },
      });
    }
    return requests;
  };
}
