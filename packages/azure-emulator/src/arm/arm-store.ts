// In-memory ARM state keyed by lowercased resource id; objects keep the casing they were created with.

export type EntryKind = "resourceGroup" | "resource" | "deployment";

export type ArmObject = Record<string, unknown> & { id: string };

export interface StoreEntry {
  kind: EntryKind;
  body: ArmObject;
}

export class ArmStore {
  private readonly entries = new Map<string, StoreEntry>();
  private readonly subscriptionTags = new Map<string, Record<string, string>>();
  readonly effects = new Map<string, number>();

  get(id: string): StoreEntry | undefined {
    return this.entries.get(canonicalId(id));
  }

  set(kind: EntryKind, body: ArmObject): void {
    this.entries.set(canonicalId(body.id), { kind, body });
  }

  /** Removes the entry and everything below it; returns the removed ids (original casing). */
  removeTree(id: string): string[] {
    const key = canonicalId(id);
    const removed: string[] = [];
    for (const [k, entry] of this.entries) {
      if (k === key || k.startsWith(`${key}/`)) {
        removed.push(entry.body.id);
        this.entries.delete(k);
      }
    }
    return removed;
  }

  /** Entries whose id starts with `prefix/`, optionally of one kind. */
  below(prefix: string, kind?: EntryKind): StoreEntry[] {
    const key = `${canonicalId(prefix)}/`;
    return [...this.entries.entries()]
      .filter(([k, e]) => k.startsWith(key) && (!kind || e.kind === kind))
      .map(([, e]) => e);
  }

  tagsOfSubscription(subscriptionId: string): Record<string, string> {
    return this.subscriptionTags.get(subscriptionId.toLowerCase()) ?? {};
  }

  setSubscriptionTags(subscriptionId: string, tags: Record<string, string>): void {
    this.subscriptionTags.set(subscriptionId.toLowerCase(), tags);
  }

  recordEffect(method: string, id: string): void {
    const key = `${method} ${canonicalId(id)}`;
    this.effects.set(key, (this.effects.get(key) ?? 0) + 1);
  }

  clear(): void {
    this.entries.clear();
    this.subscriptionTags.clear();
    this.effects.clear();
  }
}

export function canonicalId(id: string): string {
  return `/${id.split("/").filter(Boolean).join("/")}`.toLowerCase();
}
