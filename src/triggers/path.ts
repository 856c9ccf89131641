// Reads a dotted path (`event.data.items[0].name`) from the routing context.

/** Own properties only, so a filter or template can never reach the prototype chain. */
export function lookupPath(root: unknown, path: string): unknown {
  const keys = path.match(/[A-Za-z_$][\w$-]*|\d+/g) ?? [];
  let current: unknown = root;
  for (const key of keys) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
