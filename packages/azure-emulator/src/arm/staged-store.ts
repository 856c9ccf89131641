// A copy-on-write view of the ARM store: preflight and what-if run a deployment against it, so they
// see what the deployment itself creates, while the real store stays untouched.
import { type ArmObject, canonicalId, type EntryKind, type StoreEntry } from "./arm-store.ts";

/** What a deployment run reads and writes; the real store when it applies, a staged one when it plans. */
export interface StoreView {
  get(id: string): StoreEntry | undefined;
  set(kind: EntryKind, body: ArmObject): void;
  removeTree(id: string): string[];
  below(prefix: string, kind?: EntryKind): StoreEntry[];
  recordEffect(method: string, id: string): void;
  /** Whether the entry exists only in a plan (a staged store), not yet in the real one. */
  isPlanned?(id: string): boolean;
}

export class StagedStore implements StoreView {
  /** null marks an entry the plan removes. */
  private readonly staged = new Map<string, StoreEntry | null>();

  private readonly base: StoreView;

  constructor(base: StoreView) {
    this.base = base;
  }

  get(id: string): StoreEntry | undefined {
    const key = canonicalId(id);
    if (this.staged.has(key)) return this.staged.get(key) ?? undefined;
    return this.base.get(id);
  }

  set(kind: EntryKind, body: ArmObject): void {
    this.staged.set(canonicalId(body.id), { kind, body });
  }

  removeTree(id: string): string[] {
    const removed = [this.get(id), ...this.below(id)].filter((e): e is StoreEntry => e !== undefined);
    for (const e of removed) this.staged.set(canonicalId(e.body.id), null);
    return removed.map((e) => e.body.id);
  }

  below(prefix: string, kind?: EntryKind): StoreEntry[] {
    const key = `${canonicalId(prefix)}/`;
    const merged = new Map<string, StoreEntry>();
    for (const e of this.base.below(prefix, kind)) merged.set(canonicalId(e.body.id), e);
    for (const [k, e] of this.staged) {
      if (!k.startsWith(key)) continue;
      if (e === null) merged.delete(k);
      else if (!kind || e.kind === kind) merged.set(k, e);
    }
    return [...merged.values()];
  }

  recordEffect(): void {
    // A plan has no effects.
  }

  /** Whether the entry exists only because the plan created it. */
  isPlanned(id: string): boolean {
    return this.staged.get(canonicalId(id)) != null && !this.base.get(id);
  }
}
