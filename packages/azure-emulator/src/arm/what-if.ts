// What-if in ARM's shape: a change per resource (Create, Modify with property deltas, NoChange, Delete,
// Deploy, Ignore, Unsupported), nested deployments' resources in other groups and subscriptions included.
import type { ArmObject } from "./arm-store.ts";
import { comparable } from "./resource-model.ts";
import type { StoreView } from "./staged-store.ts";
import type { RunResult } from "./template-runner.ts";

export type ResultFormat = "FullResourcePayloads" | "ResourceIdOnly";

interface PropertyChange {
  path: string;
  propertyChangeType: "Create" | "Delete" | "Modify";
  before?: unknown;
  after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Property-level differences with dotted paths, as ARM reports them ("tags.owner", "sku.name"). */
export function delta(before: unknown, after: unknown, path = ""): PropertyChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => delta(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (before === undefined) return [{ path, propertyChangeType: "Create", after }];
  if (after === undefined) return [{ path, propertyChangeType: "Delete", before }];
  return [{ path, propertyChangeType: "Modify", before, after }];
}

function payload(body: ArmObject, apiVersion: string): Record<string, unknown> {
  return apiVersion ? { ...body, apiVersion } : body;
}

/** The changes of a planned run, compared with the real store. */
export function whatIfChanges(
  run: RunResult,
  real: StoreView,
  format: ResultFormat,
): Record<string, unknown>[] {
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  const latest = new Map(run.changes.map((c) => [c.id.toLowerCase(), c]));
  for (const change of latest.values()) {
    seen.add(change.id.toLowerCase());
    const before = real.get(change.id)?.body;
    const after = change.after;
    if (!after) continue;
    if (format === "ResourceIdOnly") {
      out.push({ resourceId: change.id, changeType: before ? "Deploy" : "Create" });
      continue;
    }
    if (!before) {
      out.push({ resourceId: change.id, changeType: "Create", after: payload(after, change.apiVersion) });
      continue;
    }
    const props = delta(comparable(before), comparable(after)).filter((d) => d.path !== "");
    out.push({
      resourceId: before.id,
      changeType: props.length > 0 ? "Modify" : "NoChange",
      before: payload(before, change.apiVersion),
      after: payload(after, change.apiVersion),
      ...(props.length > 0 ? { delta: props } : {}),
    });
  }
  for (const d of run.deletions) {
    seen.add(d.id.toLowerCase());
    out.push(
      format === "ResourceIdOnly"
        ? { resourceId: d.id, changeType: "Delete" }
        : { resourceId: d.id, changeType: "Delete", ...(d.before ? { before: d.before } : {}) },
    );
  }
  for (const u of run.unsupported) {
    seen.add(u.id.toLowerCase());
    out.push({ resourceId: u.id, changeType: "Unsupported", unsupportedReason: u.reason });
  }
  // Incremental mode leaves the groups' other resources alone: ARM lists them as Ignore.
  for (const group of run.groups) {
    for (const entry of real.below(group, "resource")) {
      const id = entry.body.id;
      if (id.split("/").length !== 9 || seen.has(id.toLowerCase())) continue;
      out.push({ resourceId: id, changeType: "Ignore" });
    }
  }
  return out;
}
