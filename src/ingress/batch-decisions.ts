// The policy decisions of one Event Grid delivery, each made once and then found by the request's scope.
import type { Scope } from "../kernel/arm-scope.ts";
import type { Authorizer, Decision } from "../policy/authorize.ts";

/**
 * A batch's alike events share their operation requests, scope objects included (the router prepares
 * each distinct rendering once), and each is asked twice (held or not, then in the accept): the
 * decision is found by the scope object, then by the rest of the question, without serializing the
 * scope's path for every event. Kept no longer than the delivery, as the grants it was made from.
 */
export function batchDecisions(authorize: Authorizer): Authorizer {
  const decided = new WeakMap<Scope, Map<string, Decision>>();
  return (callerId, operation, scope, action) => {
    let byQuestion = decided.get(scope);
    if (byQuestion === undefined) {
      byQuestion = new Map();
      decided.set(scope, byQuestion);
    }
    // JSON: ids and names are free text to this function, and must not run into each other.
    const key = JSON.stringify([callerId, operation, action ?? null]);
    let decision = byQuestion.get(key);
    if (decision === undefined) {
      decision = authorize(callerId, operation, scope, action);
      byQuestion.set(key, decision);
    }
    return decision;
  };
}
