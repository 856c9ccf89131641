// openapi.yaml is generated from the code and committed; these tests keep it, and the client example's
// types generated from it, current, and check what the document promises about the code.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { generateTypes } from "../../examples/client/generate.ts";
import { openSqliteJobStore } from "../../src/jobs/sqlite/store.ts";
import { ERROR_CODES } from "../../src/kernel/errors.ts";
import { generateDocument, OPENAPI_PATH, unconfiguredApp } from "../../src/openapi/generate.ts";
import { catalog } from "../../src/operations/catalog.ts";
import { loadContract } from "../helpers/openapi.ts";

const committed = readFileSync(OPENAPI_PATH, "utf8");

describe("openapi.yaml", () => {
  it("is exactly what the code generates (run `npm run openapi` after changing a route)", async () => {
    const { yaml, json } = await generateDocument();
    expect(committed).toBe(yaml);
    expect(JSON.parse(json)).toEqual(parse(committed));
  });

  it("is what the client example's types were generated from", async () => {
    const types = readFileSync("examples/client/src/armbridge.ts", "utf8");
    expect(types).toBe(await generateTypes(committed));
  });

  const document = parse(committed);

  it("is OpenAPI 3.1 with an id, a tag, a summary and security on every operation", () => {
    expect(document.openapi).toBe("3.1.0");
    const { operations } = loadContract();
    expect(operations.length).toBeGreaterThan(catalog.length);
    const tags = new Set(document.tags.map((t: { name: string }) => t.name));
    for (const op of operations) {
      expect(op, op.operationId).toMatchObject({
        operationId: expect.any(String),
        summary: expect.any(String),
      });
      expect(op).toHaveProperty("security");
      for (const tag of (op as unknown as { tags: string[] }).tags) expect(tags.has(tag), tag).toBe(true);
    }
  });

  it.each(catalog.map((op) => [op.name, op]))(
    "gives %s its own path, input schema and a valid example",
    (name, op) => {
      const post = document.paths[`/v1/operations/${name}`]?.post;
      const body = post?.requestBody?.content?.["application/json"];
      expect(body?.schema?.$ref).toMatch(/^#\/components\/schemas\/\w+Input$/);
      expect(op.input.safeParse(body.example).success).toBe(true);
      for (const action of op.actions) expect(post.description).toContain(action);
    },
  );

  it("lists every error code in the problem schema", () => {
    expect(document.components.schemas.Problem.properties.code.enum).toEqual(ERROR_CODES);
  });

  it("inlines no problem response: every one refers to the named response of its status", () => {
    expect(JSON.stringify(document.paths)).not.toContain("application/problem+json");
    const named = document.components.responses as Record<string, { content: Record<string, unknown> }>;
    const problems = Object.entries(named).map(([name, response]) => {
      const media = response.content["application/problem+json"] as {
        schema: { allOf: [{ $ref: string }, { properties: { status: { const: number } } }] };
      };
      expect(media.schema.allOf[0].$ref, name).toBe("#/components/schemas/Problem");
      return [name, media.schema.allOf[1].properties.status.const] as const;
    });
    let refs = 0;
    for (const op of loadContract().operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!("$ref" in response)) continue;
        refs++;
        const name = response.$ref.replace("#/components/responses/", "");
        expect(problems, `${op.operationId} ${status}`).toContainEqual([name, Number(status)]);
      }
    }
    // Every operation answers at least an internal error.
    expect(refs).toBeGreaterThanOrEqual(loadContract().operations.length);
  });
});

describe("the contract checker", () => {
  const { operations, violation } = loadContract();
  const getJob = operations.find((o) => o.operationId === "getJob");

  it("refuses answers the document does not declare", async () => {
    if (!getJob) throw new Error("getJob is not in openapi.yaml");
    const answer = (status: number, body: unknown, type = "application/json") =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
    expect(await violation(getJob, answer(200, { id: "not a job" }))).toMatch(/must have required property/);
    expect(await violation(getJob, answer(418, {}))).toMatch(/not documented/);
    expect(await violation(getJob, answer(200, {}, "text/plain"))).toMatch(/content type/);
    const wrongCode = {
      type: "x",
      title: "x",
      status: 404,
      detail: "x",
      code: "conflict",
      instance: "/",
      requestId: "r",
    };
    expect(await violation(getJob, answer(404, wrongCode, "application/problem+json"))).toMatch(
      /allowed values/,
    );
  });
});

describe("the app's routes", () => {
  it("are all taken by Hono's RegExpRouter, not the slower TrieRouter it falls back to", async () => {
    const store = openSqliteJobStore(":memory:");
    try {
      const app = unconfiguredApp(store);
      // SmartRouter picks its router on the first match: the first that takes every route.
      expect((await app.request("/docs/init.js")).status).toBe(200);
      expect(app.router.name).toBe("SmartRouter + RegExpRouter");
    } finally {
      await store.close();
    }
  });
});
