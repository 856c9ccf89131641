import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubDelivery } from "../helpers/github.ts";
import { type Harness, HOOK_SECRET, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";
import { refusal } from "../helpers/refusal.ts";

const push = (group: string) => ({
  group,
  ref: "refs/heads/main",
  repository: { full_name: "contoso/web", id: 7 },
});

describe("POST /hooks/{hookId}", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("creates a resource group through the real SDK and reports the job succeeded", async () => {
    const delivery = "9f1c2d3e-0000-4000-8000-0000000000aa";
    const res = await h.request(
      "/hooks/deploy",
      await githubDelivery(HOOK_SECRET, push("app-web"), { delivery }),
    );
    expect(res.status).toBe(202);
    const body = (await res.json()) as { jobs: { id: string; state: string; links: { self: string } }[] };
    expect(body.jobs).toHaveLength(1);
    const [job] = body.jobs;
    expect(res.headers.get("location")).toBe(`/v1/jobs/${job?.id}`);
    const done = await h.waitForJob(job?.id as string);
    expect(done.state).toBe("succeeded");

    // A signed webhook has no credential to send with a GET: it reads its result by delivering again
    // (the same delivery id answers with the same job) with Prefer: wait.
    expect(await refusal(await h.request(job?.links.self as string))).toEqual({
      status: 401,
      code: "unauthenticated",
    });
    const again = await githubDelivery(HOOK_SECRET, push("app-web"), { delivery });
    const status = await h.request("/hooks/deploy", {
      ...again,
      headers: { ...(again.headers as Record<string, string>), prefer: "wait=10" },
    });
    expect(status.status).toBe(200);
    const view = ((await status.json()) as { jobs: Record<string, unknown>[] }).jobs[0] as Record<
      string,
      unknown
    >;
    expect(view.state).toBe("succeeded");
    expect(view.caller).toEqual({ id: "ci", kind: "github-webhook", subject: "repo:contoso/web" });
    expect(view.result).toMatchObject({
      id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/app-web`,
      location: "westeurope",
      tags: { repository: "contoso/web" },
    });

    const group = h.emulator.resource(`/subscriptions/${SUBSCRIPTION}/resourcegroups/APP-WEB`) as {
      tags: unknown;
    };
    expect(group.tags).toEqual({ repository: "contoso/web" });
    // The ARM call carried the job's correlation id, so the activity log entry leads back to the caller.
    const calls = h.emulator.requests({ method: "PUT" });
    expect(calls.some((c) => c.correlationId === view.correlationId && c.clientRequestId === view.id)).toBe(
      true,
    );
  });

  it("answers a redelivery with the same job and sends ARM nothing new", async () => {
    const delivery = "9f1c2d3e-0000-4000-8000-000000000001";
    const first = await h.request(
      "/hooks/deploy",
      await githubDelivery(HOOK_SECRET, push("app-redo"), { delivery }),
    );
    expect(first.status).toBe(202);
    const [job] = ((await first.json()) as { jobs: { id: string }[] }).jobs;
    await h.waitForJob(job?.id as string);
    const before = h.emulator.requests({ method: "PUT" }).length;

    const again = await h.request(
      "/hooks/deploy",
      await githubDelivery(HOOK_SECRET, push("app-redo"), { delivery }),
    );
    expect(again.status).toBe(200);
    const body = (await again.json()) as { jobs: { id: string }[]; replayed: boolean };
    expect(body.replayed).toBe(true);
    expect(body.jobs[0]?.id).toBe(job?.id);
    // A replay stores no job, so nothing can send a second write.
    const page = await h.runtime.store.list({ limit: 500 });
    expect(page.jobs.filter((j) => j.scope.endsWith("/app-redo"))).toHaveLength(1);
    expect(h.emulator.requests({ method: "PUT" }).length).toBe(before);
  });

  it("accepts a delivery signed with the rotated-in secret", async () => {
    const res = await h.request(
      "/hooks/deploy",
      await githubDelivery("rotated-in-secret", push("app-rotated")),
    );
    expect(res.status).toBe(202);
  });

  it("answers 200 with no jobs for an event no route wants", async () => {
    const res = await h.request(
      "/hooks/deploy",
      await githubDelivery(HOOK_SECRET, { zen: "hi" }, { event: "ping" }),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { jobs: unknown[] }).jobs).toEqual([]);
  });
});

describe("POST /hooks/{hookId} refusals", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const expectProblem = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await res.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ status, code, type: `urn:armbridge:problem:${code}` });
    expect(problem.requestId).toBe(res.headers.get("x-request-id"));
    return problem;
  };

  it("refuses a bad signature and a changed byte (bad_signature) and a missing one (unauthenticated) with 401", async () => {
    await expectProblem(
      await h.request("/hooks/deploy", await githubDelivery("wrong", push("app-x"))),
      401,
      "bad_signature",
    );
    const init = await githubDelivery(HOOK_SECRET, push("app-x"));
    const tampered = { ...init, body: String(init.body).replace("app-x", "app-y") };
    await expectProblem(await h.request("/hooks/deploy", tampered), 401, "bad_signature");
    const unsigned = { ...init, headers: { "content-type": "application/json", "x-github-event": "push" } };
    const p = await expectProblem(await h.request("/hooks/deploy", unsigned), 401, "unauthenticated");
    expect(p.detail).toBe("missing credentials: send X-Hub-Signature-256");
  });

  it("refuses malformed JSON with 400, even when correctly signed", async () => {
    const res = await h.request(
      "/hooks/deploy",
      await githubDelivery(HOOK_SECRET, null, { body: '{"group": "app-' }),
    );
    const p = await expectProblem(res, 400, "malformed_json");
    expect(p.detail).toMatch(/not valid JSON/);
  });

  it("refuses an unknown hook with 404 and an unknown path with 404", async () => {
    await expectProblem(
      await h.request("/hooks/nope", await githubDelivery(HOOK_SECRET, push("app-x"))),
      404,
      "unknown_hook",
    );
    await expectProblem(await h.request("/nowhere"), 404, "not_found");
  });

  it("refuses an oversized body with 413 before reading it whole", async () => {
    const big = JSON.stringify({ group: "app-big", pad: "x".repeat(1024 * 1024 + 10) });
    const init = await githubDelivery(HOOK_SECRET, null, { body: big });
    const p = await expectProblem(await h.request("/hooks/deploy", init), 413, "payload_too_large");
    expect(p.limitBytes).toBe(1024 * 1024);
  });

  it("refuses a scope outside the caller's grants with 403 and queues nothing", async () => {
    const res = await h.request("/hooks/deploy", await githubDelivery(HOOK_SECRET, push("prod-db")));
    const p = await expectProblem(res, 403, "forbidden");
    expect(p.detail).toBe(
      `caller 'ci' is not granted operation 'resourceGroup.ensure' on scope '/subscriptions/${SUBSCRIPTION}/resourceGroups/prod-db'`,
    );
    expect(
      (await h.runtime.store.list({ limit: 100 })).jobs.filter((j) => j.scope.endsWith("prod-db")),
    ).toEqual([]);
  });

  it("refuses parameters that fail the operation's schema with 400 naming the field", async () => {
    const res = await h.request("/hooks/deploy", await githubDelivery(HOOK_SECRET, push("app-../../x")));
    const p = await expectProblem(res, 400, "invalid_parameters");
    expect(JSON.stringify(p.errors)).toContain("resourceGroupName");
    const missing = await h.request("/hooks/deploy", await githubDelivery(HOOK_SECRET, { ref: "x" }));
    const p2 = await expectProblem(missing, 400, "invalid_parameters");
    expect(JSON.stringify(p2.errors)).toContain("'event.data.group' has no value");
  });

  it("refuses a body that is not JSON with 415", async () => {
    const init = await githubDelivery(HOOK_SECRET, push("app-x"));
    const res = await h.request("/hooks/deploy", {
      ...init,
      headers: { ...(init.headers as object), "content-type": "text/plain" },
    });
    await expectProblem(res, 415, "unsupported_media_type");
  });

  it("logs every refusal with its request id and keeps serving", async () => {
    const refused = h.logs.filter((l) => l.msg === "request" && Number(l.status) >= 400);
    expect(refused.length).toBeGreaterThanOrEqual(8);
    for (const line of refused) {
      expect(line.requestId).toEqual(expect.any(String));
      expect(line.problem).toMatchObject({ code: expect.any(String) });
    }
    expect((await h.request("/healthz")).status).toBe(200);
    expect(JSON.stringify(h.logs)).not.toContain(HOOK_SECRET);
  });
});
