// The CI recipes of examples/ci, run as their CI systems would run them: each recipe's script, as
// written, in bash with the variables that CI system sets, its token endpoint (or id_tokens variable)
// handing out tokens in that provider's shape, and the `armbridge` command on PATH, against armbridge
// served over HTTP and the Azure emulator.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  azureDevopsTokenEndpoint,
  githubTokenEndpoint,
  type TokenEndpoint,
} from "../helpers/ci-providers.ts";
import { type Harness, SUBSCRIPTION, startHarness } from "../helpers/harness.ts";
import { ADO_ORG, gitlabClaims, startTestIssuer, type TestIssuer } from "../helpers/oidc.ts";

const run = promisify(execFile);
const KEY = "ci-recipes-setup-key";
const GROUP = `/subscriptions/${SUBSCRIPTION}/resourceGroups/web-prod`;
const ADO_SERVICE_CONNECTION = "5b2f3c4d-6e7f-4a8b-9c0d-1e2f3a4b5c6d";

const config = (jwksUrl: string) => `
callers:
  - { id: setup, kind: api-key, keys: [{ hash: "sha256:${createHash("sha256").update(KEY).digest("hex")}" }] }
  - id: github-web
    kind: oidc
    preset: github-actions
    audience: api://armbridge
    jwksUrl: ${jwksUrl}
    conditions: { repository_id: "2002", environment: prod }
  - id: gitlab-web
    kind: oidc
    preset: gitlab-ci
    audience: api://armbridge
    jwksUrl: ${jwksUrl}
    conditions: { project_id: "20" }
  - id: ado-web
    kind: oidc
    preset: azure-devops
    organizationId: ${ADO_ORG}
    jwksUrl: ${jwksUrl}
    conditions: { def_id: "17" }
grants:
  - { caller: setup, operations: [resourceGroup.ensure], scopes: ["${GROUP}"] }
  - { caller: github-web, operations: [deployment.create], scopes: ["${GROUP}"] }
  - { caller: gitlab-web, operations: [deployment.create], scopes: ["${GROUP}"] }
  - { caller: ado-web, operations: [deployment.create], scopes: ["${GROUP}"] }
`;

const TEMPLATE = {
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  parameters: { sku: { type: "string", defaultValue: "B1" } },
  resources: [
    {
      type: "Microsoft.Web/serverfarms",
      apiVersion: "2023-12-01",
      name: "web-plan",
      location: "westeurope",
      sku: { name: "[parameters('sku')]" },
      properties: {},
    },
  ],
};

let issuer: TestIssuer;
let h: Harness;
let server: ServerType;
let url: string;
let work: string;
const endpoints: TokenEndpoint[] = [];

beforeAll(async () => {
  issuer = await startTestIssuer();
  h = await startHarness({ config: config(issuer.jwksUrl), emulator: { lro: { durationMs: 30 } } });
  server = serve({ fetch: h.runtime.app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise((r) => server.once("listening", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ensured = await h.request("/v1/operations/resourceGroup.ensure", {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", prefer: "wait=20" },
    body: JSON.stringify({
      subscriptionId: SUBSCRIPTION,
      resourceGroupName: "web-prod",
      location: "westeurope",
    }),
  });
  expect(ensured.status).toBeLessThan(300);
  // The repository a pipeline checks out: the compiled template, and `armbridge` on PATH.
  work = mkdtempSync(join(tmpdir(), "armbridge-ci-"));
  mkdirSync(join(work, "infra"));
  writeFileSync(join(work, "infra/main.json"), JSON.stringify(TEMPLATE));
  mkdirSync(join(work, "bin"));
  const shim = join(work, "bin/armbridge");
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${resolve("bin/armbridge.js")}" "$@"\n`);
  chmodSync(shim, 0o755);
});
afterAll(async () => {
  for (const e of endpoints) await e.close();
  await new Promise((r) => server?.close(r));
  await h?.close();
  await issuer?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs a script as the CI system's shell step does (bash, stop at the first failure). */
async function runScript(script: string, env: Record<string, string>) {
  const { PATH = "", HOME = "" } = process.env;
  return run("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
    cwd: work,
    env: { PATH: `${join(work, "bin")}:${PATH}`, HOME, ...env },
    timeout: 120_000,
  });
}

/** The job the CLI reported, once finished, as armbridge stored it. */
async function finishedJob(stdout: string) {
  const id = /accepted: job ([0-9a-f-]{36})/.exec(stdout)?.[1];
  expect(id, stdout).toBeDefined();
  return h.waitForJob(id as string);
}

/** GitHub's expressions the recipe uses, and no others (an unknown one fails the test). */
function githubExpr(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`expression ${name} has no value in this test`);
    return value;
  });
}

describe("examples/ci", () => {
  it("GitHub Actions: the workflow's composite action deploys as the repository's caller", async () => {
    const workflow = parseYaml(readFileSync("examples/ci/github-actions/deploy.yml", "utf8")) as {
      permissions: Record<string, string>;
      jobs: { deploy: { steps: { uses?: string; with?: Record<string, string> }[] } };
    };
    expect(workflow.permissions["id-token"]).toBe("write");
    const use = workflow.jobs.deploy.steps.find((s) => s.uses?.endsWith("armbridge-call"));
    const action = parseYaml(
      readFileSync("examples/ci/github-actions/armbridge-call/action.yml", "utf8"),
    ) as {
      inputs: Record<string, { default?: string }>;
      runs: { steps: { run: string; env?: Record<string, string> }[] };
    };
    const github = { "github.run_id": "9001" };
    const inputs: Record<string, string> = {};
    for (const [name, spec] of Object.entries(action.inputs)) {
      const given = use?.with?.[name];
      inputs[`inputs.${name}`] = given === undefined ? (spec.default ?? "") : githubExpr(given, github);
    }
    inputs["inputs.url"] = url; // the recipe's URL is a placeholder for armbridge's
    const tokens = await githubTokenEndpoint(issuer, "runner-request-token");
    endpoints.push(tokens);
    let out = "";
    for (const step of action.runs.steps) {
      const env = Object.fromEntries(
        Object.entries(step.env ?? {}).map(([k, v]) => [k, githubExpr(v, inputs)]),
      );
      const { stdout } = await runScript(step.run, {
        ...env,
        GITHUB_ACTIONS: "true",
        GITHUB_RUN_ID: "9001",
        GITHUB_RUN_ATTEMPT: "1",
        GITHUB_JOB: "deploy",
        ACTIONS_ID_TOKEN_REQUEST_URL: `${tokens.url}?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runner-request-token",
      });
      out += stdout;
    }
    expect(tokens.asked).toEqual(["api://armbridge"]);
    expect(out).toContain("deployment.create succeeded");
    const job = await finishedJob(out);
    expect(job).toMatchObject({
      state: "succeeded",
      caller: { id: "github-web" },
      operation: "deployment.create",
    });
    expect(job.params).toMatchObject({ deploymentName: "web-9001", parameters: { sku: "P1v3" } });
  });

  it("GitLab CI: the job's id_tokens token deploys as the project's caller", async () => {
    const pipeline = parseYaml(readFileSync("examples/ci/gitlab/.gitlab-ci.yml", "utf8")) as {
      deploy: {
        id_tokens: Record<string, { aud: string }>;
        variables: Record<string, string>;
        script: string[];
      };
    };
    const aud = pipeline.deploy.id_tokens.ARMBRIDGE_ID_TOKEN?.aud as string;
    const { stdout } = await runScript(pipeline.deploy.script.join("\n"), {
      ...pipeline.deploy.variables,
      ARMBRIDGE_URL: url,
      GITLAB_CI: "true",
      CI_JOB_ID: "3003",
      CI_PIPELINE_ID: "404",
      ARMBRIDGE_ID_TOKEN: await issuer.sign(gitlabClaims({ aud })),
    });
    expect(stdout).toContain("deployment.create succeeded");
    const job = await finishedJob(stdout);
    expect(job).toMatchObject({ state: "succeeded", caller: { id: "gitlab-web" } });
    expect(job.params).toMatchObject({ deploymentName: "web-404" });
  });

  it("Azure DevOps: the pipeline's OIDC token for its service connection deploys as the pipeline's caller", async () => {
    const pipeline = parseYaml(readFileSync("examples/ci/azure-devops/azure-pipelines.yml", "utf8")) as {
      variables: Record<string, string>;
      steps: { script?: string; env?: Record<string, string> }[];
    };
    const step = pipeline.steps.find((s) => s.script?.includes("armbridge call"));
    // Azure DevOps expands $(…) macros before the script runs.
    const macros: Record<string, string> = {
      "Build.BuildId": "505",
      "System.AccessToken": "pipeline-access-token",
    };
    const expand = (text: string) =>
      text.replace(/\$\(([\w.]+)\)/g, (_m, name: string) => {
        const value = macros[name];
        if (value === undefined) throw new Error(`macro ${name} has no value in this test`);
        return value;
      });
    const tokens = await azureDevopsTokenEndpoint(issuer, "pipeline-access-token");
    endpoints.push(tokens);
    const stepEnv = Object.fromEntries(Object.entries(step?.env ?? {}).map(([k, v]) => [k, expand(v)]));
    const { stdout } = await runScript(expand(step?.script ?? ""), {
      ...pipeline.variables,
      ...stepEnv,
      ARMBRIDGE_URL: url,
      TF_BUILD: "True",
      BUILD_BUILDID: "505",
      SYSTEM_OIDCREQUESTURI: tokens.url,
    });
    expect(tokens.asked).toEqual([ADO_SERVICE_CONNECTION]);
    expect(stdout).toContain("deployment.create succeeded");
    const job = await finishedJob(stdout);
    expect(job).toMatchObject({ state: "succeeded", caller: { id: "ado-web" } });
    expect(job.params).toMatchObject({ deploymentName: "web-505" });
  });
});
