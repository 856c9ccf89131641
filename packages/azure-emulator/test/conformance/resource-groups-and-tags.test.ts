// Resource groups and tags, replayed from Microsoft.Resources/resources/examples/2025-04-01.
import { beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_SUB, expectArmError, expectArmHeaders, expectLongRunning, useReplay } from "./replay.ts";

const RG = `/subscriptions/${EXAMPLE_SUB}/resourceGroups/my-resource-group`;

const r = useReplay();

describe("resource groups", () => {
  it("CreateResourceGroup.json: 201 on create, 200 on update, with id, name, location and provisioningState", async () => {
    const body = { location: "eastus" };
    const expected = {
      id: RG,
      name: "my-resource-group",
      location: "eastus",
      properties: { provisioningState: "Succeeded" },
    };
    const created = await r.call("PUT", RG, body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject(expected);
    expectArmHeaders(created);
    const updated = await r.call("PUT", RG, body);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject(expected);
  });

  it("ResourceGroups_Get.json: 200 with the group; ResourceGroupNotFound (404) for a missing one", async () => {
    const got = await r.call("GET", RG);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: RG,
      location: "eastus",
      type: "Microsoft.Resources/resourceGroups",
    });
    expectArmError(await r.call("GET", `${RG}-missing`), 404, "ResourceGroupNotFound");
  });

  it("ResourceGroups_CheckExistence (resources.json): HEAD answers 204 or 404 without a body", async () => {
    expect((await r.call("HEAD", RG)).status).toBe(204);
    const missing = await r.call("HEAD", `${RG}-missing`);
    expect([missing.status, missing.text]).toEqual([404, ""]);
  });

  it("ResourceGroups_Delete (resources.json): 202 + Location + Retry-After, polled to 200, then gone", async () => {
    await r.call("PUT", `${RG}-doomed`, { location: "eastus" });
    const accepted = await r.call("DELETE", `${RG}-doomed`);
    const location = expectLongRunning(accepted, 202, "Location");
    expect((await r.poll(location)).status).toBe(200);
    expect((await r.call("HEAD", `${RG}-doomed`)).status).toBe(404);
  });
});

describe("tags", () => {
  const VM = `${RG}/providers/Microsoft.Compute/virtualMachines/myVm`;
  const tagsAt = (scope: string) => `${scope}/providers/Microsoft.Resources/tags/default`;

  beforeAll(async () => {
    await r.call("PUT", VM, { location: "eastus", properties: {} }, "2024-07-01");
  });

  it("PutTagsResource.json: 200 with the tags resource at the scope", async () => {
    const put = await r.call("PUT", tagsAt(VM), {
      properties: { tags: { tagKey1: "tag-value-1", tagKey2: "tag-value-2" } },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      properties: { tags: { tagKey1: "tag-value-1", tagKey2: "tag-value-2" } },
    });
    expect(String((put.body as { id: string }).id).toLowerCase()).toContain(
      "/providers/microsoft.resources/tags/default",
    );
  });

  it("PatchTagsResource.json: Replace answers 200 with exactly the given tags; Merge adds; Delete removes", async () => {
    const replaced = await r.call("PATCH", tagsAt(VM), {
      operation: "Replace",
      properties: { tags: { tagKey1: "tag-value-1", tagKey2: "tag-value-2" } },
    });
    expect(replaced.status).toBe(200);
    expect((replaced.body as { properties: { tags: object } }).properties.tags).toEqual({
      tagKey1: "tag-value-1",
      tagKey2: "tag-value-2",
    });
    const merged = await r.call("PATCH", tagsAt(VM), {
      operation: "Merge",
      properties: { tags: { tagKey3: "v3" } },
    });
    expect((merged.body as { properties: { tags: object } }).properties.tags).toMatchObject({
      tagKey1: "tag-value-1",
      tagKey3: "v3",
    });
    const deleted = await r.call("PATCH", tagsAt(VM), {
      operation: "Delete",
      properties: { tags: { tagKey1: "tag-value-1" } },
    });
    expect((deleted.body as { properties: { tags: object } }).properties.tags).not.toHaveProperty("tagKey1");
  });

  it("GetTagsResource.json and DeleteTagsResource.json: 200 with the tags, then 200 and none left", async () => {
    const got = await r.call("GET", tagsAt(VM));
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ properties: { tags: { tagKey2: "tag-value-2" } } });
    expect((await r.call("DELETE", tagsAt(VM))).status).toBe(200);
    expect(
      ((await r.call("GET", tagsAt(VM))).body as { properties: { tags: object } }).properties.tags,
    ).toEqual({});
  });

  it("PutTagsSubscription.json and GetTagsSubscription.json: tags at subscription scope", async () => {
    const sub = `/subscriptions/${EXAMPLE_SUB}`;
    const put = await r.call("PUT", tagsAt(sub), { properties: { tags: { tagKey1: "tag-value-1" } } });
    expect(put.status).toBe(200);
    const got = await r.call("GET", tagsAt(sub));
    expect(got.body).toMatchObject({ properties: { tags: { tagKey1: "tag-value-1" } } });
  });
});
