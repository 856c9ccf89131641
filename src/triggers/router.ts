// From an event to the operations it asks for: match routes, render parameters, validate them.

import type { RouteConfig } from "../config/schema.ts";
import type { Caller } from "../kernel/caller.ts";
import { AppError } from "../kernel/errors.ts";
import { type OperationRequest, type Prepared, prepareRequest } from "../operations/request.ts";
import type { BridgeEvent } from "./event.ts";
import { matchesFilter } from "./filter.ts";
import { compileTemplate, TemplateError } from "./template.ts";

/** An entry point whose events routes listen to: `hook:{id}` or `source:{id}`. */
export type EntryPoint = `hook:${string}` | `source:${string}`;

export type Router = (entry: EntryPoint, event: BridgeEvent, caller: Caller) => OperationRequest[];

function entryOf(trigger: RouteConfig["trigger"]): EntryPoint {
  return trigger.hook !== undefined ? `hook:${trigger.hook}` : `source:${trigger.source}`;
}

/** Distinct rendered parameters remembered per action; past this many the memory starts again. */
const PREPARED_LIMIT = 1024;

/**
 * An action's parameters validated once per distinct rendering: the events of a batch mostly render
 * the same few (5,000 events, 100 resource groups). Rendered values come from JSON (event data,
 * claims, headers) and the route's literals, so their JSON text is the value. The request is shared
 * by the events that rendered it: nothing downstream changes a request.
 */
function rememberingPrepare(operation: string, origin: { routeId: string; actionIndex: number }, at: string) {
  const prepared = new Map<string, Prepared>();
  return (rendered: unknown): Prepared => {
    const key = JSON.stringify(rendered) ?? "";
    let p = prepared.get(key);
    if (p === undefined) {
      p = prepareRequest(operation, rendered, origin, at);
      if (prepared.size >= PREPARED_LIMIT) prepared.clear();
      prepared.set(key, p);
    }
    return p;
  };
}

/** The caller as templates and filters see it: one object per caller, not one per event. */
function callerViews(): (caller: Caller) => Record<string, unknown> {
  const views = new WeakMap<Caller, Record<string, unknown>>();
  return (caller) => {
    let view = views.get(caller);
    if (view === undefined) {
      view = {
        id: caller.id,
        kind: caller.kind,
        subject: caller.subject,
        claims: caller.claims,
        ...(caller.onBehalfOf ? { onBehalfOf: caller.onBehalfOf } : {}),
      };
      views.set(caller, view);
    }
    return view;
  };
}

export function createRouter(routes: readonly RouteConfig[]): Router {
  const entries = routes.map((r) => entryOf(r.trigger));
  const callerView = callerViews();
  const actions = routes.map((route) =>
    route.actions.map((action, actionIndex) => {
      const where = `routes.${route.id}.actions[${actionIndex}]`;
      return {
        action,
        where,
        render: compileTemplate(action.parameters),
        prepare: rememberingPrepare(
          action.operation,
          { routeId: route.id, actionIndex },
          `${where}.parameters`,
        ),
      };
    }),
  );
  return (entry, event, caller) => {
    const context = { event, caller: callerView(caller) };
    const problems: string[] = [];
    const requests: OperationRequest[] = [];
    routes.forEach((route, r) => {
      const matches =
        entries[r] === entry &&
        (route.trigger.events.length === 0 || route.trigger.events.includes(event.type)) &&
        (route.trigger.filter === undefined || matchesFilter(route.trigger.filter, context));
      if (!matches) return;
      // Where each named action of this route lands in the submission, for `after`.
      const position = new Map<string, number>();
      for (const { action, where, render, prepare } of actions[r] ?? []) {
        let rendered: unknown;
        try {
          rendered = render(context);
        } catch (err) {
          if (!(err instanceof TemplateError)) throw err;
          problems.push(`${where}.${err.message}`);
          continue;
        }
        const prepared = prepare(rendered);
        if (!prepared.ok) {
          problems.push(...prepared.problems);
          continue;
        }
        const after = action.after?.map((name) => position.get(name) as number);
        if (action.id !== undefined) position.set(action.id, requests.length);
        requests.push(after ? { ...prepared.request, after } : prepared.request);
      }
    });
    if (problems.length > 0) {
      // Nothing is queued when any action of the event is invalid: a half-run event is worse than none.
      throw new AppError("invalid_parameters", "the event does not produce valid operation parameters", {
        extensions: { errors: problems },
      });
    }
    return requests;
  };
}
