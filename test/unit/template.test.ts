import { describe, expect, it } from "vitest";
import { compileTemplate, renderTemplate, TemplateError } from "../../src/triggers/template.ts";

const ctx = {
  event: { data: { repository: { name: "app", id: 42 }, list: ["a", "b"] } },
  caller: { id: "ci", claims: { repository: "org/app" } },
};

describe("renderTemplate", () => {
  it("substitutes inside strings and keeps the type of a whole expression", () => {
    expect(
      renderTemplate(
        { name: "rg-{{ event.data.repository.name }}", id: "{{ event.data.repository.id }}" },
        ctx,
      ),
    ).toEqual({ name: "rg-app", id: 42 });
  });

  it("renders several expressions in one string, and object defaults", () => {
    expect(renderTemplate("{{ event.data.repository.name }}-{{ event.data.list[0] }}", ctx)).toBe("app-a");
    expect(renderTemplate("{{ event.data.missing ?? {} }}", ctx)).toEqual({});
    expect(renderTemplate('{{ event.data.missing ?? {"a": [1]} }}', ctx)).toEqual({ a: [1] });
  });

  it("reads caller claims, array items and defaults", () => {
    expect(renderTemplate("{{ caller.claims.repository }}", ctx)).toBe("org/app");
    expect(renderTemplate("{{ event.data.list[1] }}", ctx)).toBe("b");
    expect(renderTemplate('{{ event.data.missing ?? "none" }}', ctx)).toBe("none");
  });

  it("renders arrays and keeps literals that are not strings", () => {
    expect(renderTemplate({ tags: ["a-{{ event.data.list[0] }}", 3, true, null] }, ctx)).toEqual({
      tags: ["a-a", 3, true, null],
    });
  });

  it("compiles once and renders each context on its own, defaults included", () => {
    const compiled = compileTemplate({
      name: "{{ event.data.repository.name }}",
      extra: "{{ event.x ?? {} }}",
    });
    const first = compiled(ctx) as { name: string; extra: object };
    const second = compiled({ ...ctx, event: { data: { repository: { name: "web" } } } }) as typeof first;
    expect([first.name, second.name]).toEqual(["app", "web"]);
    expect(first.extra).toEqual({});
    expect(first.extra).not.toBe(second.extra);
  });

  it("refuses a default that is not JSON, naming where", () => {
    expect(() => renderTemplate({ a: "{{ event.data.missing ?? nope }}" }, ctx)).toThrow(
      /parameters\.a: the default of 'event\.data\.missing \?\? nope' must be a JSON value/,
    );
  });

  it("refuses a missing value without a default, naming where", () => {
    expect(() => renderTemplate({ a: "{{ event.data.missing }}" }, ctx)).toThrow(
      /parameters\.a: 'event\.data\.missing'/,
    );
  });

  it("refuses expressions that are not plain paths", () => {
    for (const expr of ["{{ process.env.X }}", "{{ event.constructor }}x{{ 1+1 }}", "{{ event['data'] }}"]) {
      expect(() => renderTemplate(expr, ctx)).toThrow(TemplateError);
    }
  });

  it("does not walk the prototype chain", () => {
    expect(() => renderTemplate("{{ event.constructor }}", ctx)).toThrow(TemplateError);
  });

  it("refuses an object spliced into a string", () => {
    expect(() => renderTemplate("x-{{ event.data.repository }}", ctx)).toThrow(/not a scalar/);
  });
});
