import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "../../src/config/json-schema.ts";
import { ConfigError, configPathFrom, loadConfigFile, parseConfig } from "../../src/config/load.ts";
import { operationNames } from "../../src/operations/catalog.ts";

const env = { ARMBRIDGE_DEMO_SECRET: "local-secret" };

function problemsOf(text: string, e: Record<string, string> = env): string[] {
  try {
    parseConfig(text, e, operationNames);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("loads the local config with defaults filled in and secrets resolved from the environment", () => {
    const config = loadConfigFile("config/local.yaml", env, operationNames);
    expect(config.server.port).toBe(8080);
    expect(config.jobs.concurrency).toBe(8);
    const caller = config.callers[0];
    expect(caller?.kind === "github-webhook" && caller.secrets[0]?.reveal()).toBe("local-secret");
    expect(JSON.stringify(config)).not.toContain("local-secret");
  });

  it("names every offending field with its path and reason", () => {
    const problems = problemsOf(`
server: { port: 70000, bogus: 1 }
azure: { resourceManagerEndpoint: "http://management.azure.com" }
callers:
  - { id: ci, kind: github-webhook, secrets: [{ env: MISSING_SECRET }] }
  - { id: Bad Id, kind: carrier-pigeon }
hooks: [{ id: deploy, callers: [ci, nobody] }]
grants: [{ caller: ci, operations: [resourceGroup.explode], scopes: ["/subscriptions/x/../y"] }]
`);
    const text = problems.join("\n");
    expect(text).toContain("server.port:");
    expect(text).toContain("server: Unrecognized key");
    expect(text).toContain("azure.resourceManagerEndpoint:");
    expect(text).toContain("callers[0].secrets[0]: environment variable MISSING_SECRET is not set");
    expect(text).toContain("callers[1].kind:");
    expect(text).toMatch(/grants\[0\]\.scopes\[0\]: must not contain/);
  });

  it("checks references between callers, hooks, grants and routes", () => {
    const problems = problemsOf(`
callers: [{ id: ci, kind: github-webhook, secrets: [{ env: ARMBRIDGE_DEMO_SECRET }] }]
hooks: [{ id: deploy, callers: [ci, nobody] }]
grants: [{ caller: ghost, operations: [resourceGroup.explode], scopes: ["/subscriptions/x"] }]
routes:
  - { id: r, trigger: { hook: missing }, actions: [{ operation: resourceGroup.ensure }] }
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        "hooks[0].callers[1]: unknown caller 'nobody'",
        "grants[0].caller: unknown caller 'ghost'",
        "grants[0].operations[0]: unknown operation 'resourceGroup.explode'",
        "routes[0].trigger.hook: unknown hook 'missing'",
      ]),
    );
  });

  it("keeps SQLite as the default store and checks the Azure Storage store's settings", () => {
    expect(parseConfig("{}", env, operationNames).store).toEqual({ engine: "sqlite" });
    const azure = parseConfig(
      "store: { engine: azure-storage, accountName: armbridgeprod, replicas: 3 }",
      env,
      operationNames,
    ).store;
    expect(azure).toMatchObject({ engine: "azure-storage", prefix: "armbridge", replicas: 3 });
    const problems = problemsOf(`
store: { engine: azure-storage, accountName: Not_An_Account, connectionString: { env: STORAGE_CS }, prefix: "9x" }
`).join("\n");
    expect(problems).toContain("store.accountName: must be a storage account name");
    expect(problems).toContain("store.connectionString: environment variable STORAGE_CS is not set");
    expect(problems).toContain("store.prefix: must be 3-40 lowercase letters and digits");
    expect(problemsOf("store: { engine: azure-storage }").join("\n")).toContain(
      "store: set accountName (managed identity) or connectionString (development), exactly one",
    );
    expect(problemsOf("store: { engine: cassandra }").join("\n")).toContain("store.engine");
  });

  it("checks event sources and that a route names exactly one of hook and source", () => {
    const shapes = problemsOf(`
callers: [{ id: ci, kind: github-webhook, secrets: [{ env: ARMBRIDGE_DEMO_SECRET }] }]
hooks: [{ id: deploy, callers: [ci] }]
sources: [{ id: ce, schema: json, callers: [ci] }]
routes:
  - { id: b, trigger: { hook: deploy, source: ce }, actions: [{ operation: resourceGroup.ensure }] }
  - { id: c, trigger: { events: [x] }, actions: [{ operation: resourceGroup.ensure }] }
`);
    expect(shapes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sources\[0\]\.schema: /),
        "routes[0].trigger: set exactly one of hook, source",
        "routes[1].trigger: set exactly one of hook, source",
      ]),
    );
    const references = problemsOf(`
callers: [{ id: ci, kind: github-webhook, secrets: [{ env: ARMBRIDGE_DEMO_SECRET }] }]
sources: [{ id: azure, schema: eventgrid, callers: [nobody] }]
routes: [{ id: a, trigger: { source: missing }, actions: [{ operation: resourceGroup.ensure }] }]
`);
    expect(references).toEqual([
      "sources[0].callers[0]: unknown caller 'nobody'",
      "routes[0].trigger.source: unknown source 'missing'",
    ]);
  });

  it("refuses OIDC callers that are not pinned, trust HMAC or none, or fetch keys over plain http", () => {
    const problems = problemsOf(`
callers:
  - { id: gh, kind: oidc, preset: github-actions, audience: api://a, conditions: { repository: contoso/web } }
  - { id: hs, kind: oidc, preset: custom, issuer: "https://idp.example", jwksUrl: "http://idp.example/jwks", audience: a, algorithms: [HS256, none] }
  - { id: ado, kind: oidc, preset: azure-devops }
  - { id: entra, kind: oidc, preset: entra, conditions: { roles: Deployer } }
  - { id: gl, kind: oidc, preset: gitlab-ci, audience: a, conditions: { project_id: 20 }, clockSkewSeconds: 3600 }
`);
    const text = problems.join("\n");
    expect(text).toContain(
      "callers[0].conditions: must pin the caller by id: add a condition on repository_id or repository_owner_id",
    );
    expect(text).toMatch(/callers\[1\]\.jwksUrl: must be an https URL/);
    expect(text).toMatch(/callers\[1\]\.algorithms\[0\]:/);
    expect(text).toMatch(/callers\[1\]\.algorithms\[1\]:/);
    expect(text).toContain("callers[2].organizationId: required for preset 'azure-devops'");
    expect(text).toContain("callers[3].tenantId: required for preset 'entra'");
    expect(text).toContain("callers[3].audience: required");
    expect(text).toContain("callers[3].conditions: must pin the caller by id");
    expect(text).toMatch(/callers\[4\]\.clockSkewSeconds:/);
  });

  it("reports YAML syntax errors and duplicate keys", () => {
    expect(problemsOf("server: [1, 2\n")[0]).toMatch(/^YAML: /);
    expect(problemsOf("dataDir: a\ndataDir: b\n")[0]).toMatch(/^YAML: .*unique/i);
  });

  it("takes deployment-specific values from the environment", () => {
    const config = parseConfig(
      "server: { port: 8080 }",
      {
        ARMBRIDGE_PORT: "9090",
        ARMBRIDGE_DATA_DIR: "/var/lib/armbridge",
        ARMBRIDGE_IDENTITY_CLIENT_ID: "11111111-2222-3333-4444-555555555555",
        APPLICATIONINSIGHTS_CONNECTION_STRING: "InstrumentationKey=abc",
      },
      operationNames,
    );
    expect(config.server.port).toBe(9090);
    expect(config.dataDir).toBe("/var/lib/armbridge");
    expect(config.azure.identity.clientId).toBe("11111111-2222-3333-4444-555555555555");
    expect(config.telemetry.connectionString?.reveal()).toBe("InstrumentationKey=abc");
    expect(() => parseConfig("{}", { ARMBRIDGE_PORT: "eighty" }, operationNames)).toThrow(/server\.port/);
  });

  it("takes ARM, IMDS and an extra CA for ARM from the environment, with the file's rules", () => {
    const config = parseConfig(
      "azure: { resourceManagerEndpoint: https://management.azure.com }",
      {
        ARMBRIDGE_ARM_ENDPOINT: "https://127.0.0.1:8443",
        ARMBRIDGE_IMDS_ENDPOINT: "http://127.0.0.1:8081",
        ARMBRIDGE_CA_CERT_FILE: "/etc/armbridge/arm-ca.pem",
      },
      operationNames,
    );
    expect(config.azure.resourceManagerEndpoint).toBe("https://127.0.0.1:8443");
    expect(config.azure.imdsEndpoint).toBe("http://127.0.0.1:8081");
    expect(config.azure.caCertFile).toBe("/etc/armbridge/arm-ca.pem");
    // ARM carries bearer tokens: plain HTTP is refused from the environment as from the file.
    expect(() =>
      parseConfig("{}", { ARMBRIDGE_ARM_ENDPOINT: "http://127.0.0.1:8443" }, operationNames),
    ).toThrow(/azure\.resourceManagerEndpoint/);
  });

  it("finds the config path from --config, then ARMBRIDGE_CONFIG, then the default", () => {
    expect(configPathFrom(["--config", "a.yaml"], { ARMBRIDGE_CONFIG: "b.yaml" })).toBe("a.yaml");
    expect(configPathFrom(["--config=c.yaml"], {})).toBe("c.yaml");
    expect(configPathFrom([], { ARMBRIDGE_CONFIG: "b.yaml" })).toBe("b.yaml");
    expect(configPathFrom([], {})).toBe("config/local.yaml");
  });

  it("keeps the committed JSON Schema in step with the code (npm run config-schema)", () => {
    const committed = JSON.parse(readFileSync("config/armbridge.schema.json", "utf8"));
    expect(committed).toEqual(configJsonSchema(operationNames));
  });
});
