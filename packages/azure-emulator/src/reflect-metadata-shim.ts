// @peculiar/x509 depends on tsyringe, which refuses to load without a Reflect metadata API.
// No polyfill package is installed, so this installs the small subset tsyringe uses, and only
// when no other polyfill is present.

type MetadataMap = Map<unknown, unknown>;
const store = new WeakMap<object, Map<string | symbol | undefined, MetadataMap>>();

function table(
  target: object,
  property: string | symbol | undefined,
  create: boolean,
): MetadataMap | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let map = byProperty.get(property);
  if (!map && create) {
    map = new Map();
    byProperty.set(property, map);
  }
  return map;
}

function getOwnMetadata(key: unknown, target: object, property?: string | symbol): unknown {
  return table(target, property, false)?.get(key);
}

function getMetadata(key: unknown, target: object, property?: string | symbol): unknown {
  for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
    const value = getOwnMetadata(key, t, property);
    if (value !== undefined) return value;
  }
  return undefined;
}

function defineMetadata(key: unknown, value: unknown, target: object, property?: string | symbol): void {
  table(target, property, true)?.set(key, value);
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== "function") {
  Object.assign(reflect, {
    getOwnMetadata,
    getMetadata,
    defineMetadata,
    hasMetadata: (key: unknown, target: object, property?: string | symbol) =>
      getMetadata(key, target, property) !== undefined,
    metadata: (key: unknown, value: unknown) => (target: object, property?: string | symbol) =>
      defineMetadata(key, value, target, property),
  });
}
