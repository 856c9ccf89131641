// Reads a dotted path (`event.data.items[0].name`) from the routing context.

/** A path's keys, split once (a route's templates are compiled once, then read for every event). */
export function pathKeys(path: string): readonly string[] {
  return path.match(/[A-Za-z_$][\w$-]*|\d+/g) ?? [];
}

/** Own properties only, so a filter or template can never reach the prototype chain. */
export function lookupKeys(root: unknown, keys: readonly string[]): unknown {
  let current: unknown = root;
  for (const key of keys) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function lookupPath(root: unknown, path: string): unknown {
  return lookupKeys(root, pathKeys(path));
}
