// The emulator's planning pieces on their own: what-if property deltas and the staged store that
// preflight and what-if run against.
import { describe, expect, it } from "vitest";
import { ArmStore } from "../src/arm/arm-store.ts";
import { StagedStore } from "../src/arm/staged-store.ts";
import { delta } from "../src/arm/what-if.ts";

describe("what-if property deltas", () => {
  it("reports created, deleted and modified properties with dotted paths", () => {
    const before = {
      tags: { env: "dev", gone: "x" },
      sku: { name: "Standard_LRS" },
      properties: { tls: "TLS1_2" },
    };
    const after = {
      tags: { env: "prod", owner: "team" },
      sku: { name: "Standard_LRS" },
      properties: { tls: "TLS1_2" },
    };
    expect(delta(before, after)).toEqual([
      { path: "tags.env", propertyChangeType: "Modify", before: "dev", after: "prod" },
      { path: "tags.gone", propertyChangeType: "Delete", before: "x" },
      { path: "tags.owner", propertyChangeType: "Create", after: "team" },
    ]);
  });

  it("compares arrays as a whole and finds nothing between equal objects", () => {
    expect(delta({ zones: ["1"] }, { zones: ["1", "2"] })).toEqual([
      { path: "zones", propertyChangeType: "Modify", before: ["1"], after: ["1", "2"] },
    ]);
    expect(delta({ a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 2 }] } })).toEqual([]);
  });
});

describe("the staged store", () => {
  const rg = "/subscriptions/s/resourceGroups/rg";
  const sa = `${rg}/providers/Microsoft.Storage/storageAccounts/a`;
  const fresh = () => {
    const real = new ArmStore();
    real.set("resourceGroup", { id: rg });
    real.set("resource", { id: sa, tags: { v: "1" } });
    return { real, staged: new StagedStore(real) };
  };

  it("sees its own writes and removals while the real store stays as it was", () => {
    const { real, staged } = fresh();
    const planned = `${rg}/providers/Microsoft.KeyVault/vaults/kv`;
    staged.set("resource", { id: planned });
    staged.set("resource", { id: sa, tags: { v: "2" } });
    expect(staged.get(planned)).toBeDefined();
    expect(staged.isPlanned(planned)).toBe(true);
    expect(staged.isPlanned(sa)).toBe(false);
    expect(staged.get(sa)?.body.tags).toEqual({ v: "2" });
    expect(real.get(sa)?.body.tags).toEqual({ v: "1" });
    expect(real.get(planned)).toBeUndefined();
    expect(staged.removeTree(rg).sort()).toEqual([rg, planned, sa].sort());
    expect(staged.below(rg)).toEqual([]);
    expect(real.below(rg, "resource")).toHaveLength(1);
  });

  it("matches ids case-insensitively, as ARM does", () => {
    const { staged } = fresh();
    staged.set("resource", { id: sa.toUpperCase(), tags: {} });
    expect(staged.get(sa)?.body.tags).toEqual({});
    expect(staged.below(rg.toLowerCase(), "resource")).toHaveLength(1);
  });
});
