// A GitHub Actions workflow calling a hook with its OIDC token: the job runs against the emulator
// under the managed identity and carries the workflow's verified identity.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";
import { bearer, githubActionsClaims, startTestIssuer, type TestIssuer } from "../helpers/oidc.ts";

let issuer: TestIssuer;
let h: Harness;

beforeAll(async () => {
  issuer = await startTestIssuer();
  h = await startHarness({
    config: `
callers:
  - id: web-deploy
    kind: oidc
    preset: github-actions
    audience: api://armbridge
    jwksUrl: ${issuer.jwksUrl}
    conditions: { repository_id: "2002", environment: prod }
hooks:
  - { id: deploy, callers: [web-deploy] }
grants:
  - { caller: web-deploy, operations: [resourceGroup.ensure], scopes: ["/subscriptions/${SUBSCRIPTION}/resourceGroups/web-*"] }
routes:
  - id: ensure
    trigger: { hook: deploy, events: [environment.ready] }
    actions:
      - operation: resourceGroup.ensure
        parameters:
          subscriptionId: "${SUBSCRIPTION}"
          resourceGroupName: "web-{{ caller.claims.environment }}"
          location: westeurope
          tags: { workflow: "{{ caller.claims.job_workflow_ref }}" }
`,
  });
});
afterAll(async () => {
  await h?.close();
  await issuer?.close();
});

const post = async (claims: Record<string, unknown>) =>
  h.request("/hooks/deploy", {
    method: "POST",
    headers: {
      ...bearer(await issuer.sign(githubActionsClaims(claims))),
      "content-type": "application/json",
      "idempotency-key": `run-${String(claims.run_id ?? "1")}`,
    },
    body: JSON.stringify({ type: "environment.ready" }),
  });

describe("hooks called with a GitHub Actions OIDC token", () => {
  it("creates the resource group named from verified claims and attributes the job to the workflow", async () => {
    const res = await post({ run_id: "100" });
    expect(res.status).toBe(202);
    const [job] = ((await res.json()) as { jobs: { id: string }[] }).jobs;
    const done = await h.waitForJob(job?.id as string);
    expect(done.state).toBe("succeeded");
    expect(done.caller).toMatchObject({
      id: "web-deploy",
      kind: "oidc",
      subject: "repo:contoso/web:environment:prod",
    });
    const group = h.emulator.resource(`/subscriptions/${SUBSCRIPTION}/resourceGroups/web-prod`) as {
      tags: unknown;
    };
    expect(group.tags).toEqual({ workflow: "contoso/web/.github/workflows/deploy.yml@refs/heads/main" });

    const again = await post({ run_id: "100" });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { jobs: { id: string }[] }).jobs[0]?.id).toBe(job?.id);
  });

  it("refuses the same workflow in another environment before anything reaches ARM", async () => {
    const before = h.emulator.requests({ method: "PUT" }).length;
    const res = await post({
      environment: "staging",
      sub: "repo:contoso/web:environment:staging",
      run_id: "101",
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toBe(
      "the token's 'environment' claim does not meet the caller's conditions",
    );
    expect(h.emulator.requests({ method: "PUT" }).length).toBe(before);
  });
});
