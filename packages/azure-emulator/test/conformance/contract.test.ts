// ARM's contract where no example shows it: documented in "Resource Manager throttling", "Async
// operations", the deployments reference (DeploymentActive) and the RPC (api-version errors).
import { describe, expect, it } from "vitest";
import { armRequest, imdsToken } from "../helpers/emulator-clients.ts";
import { storageAccount, template } from "../helpers/templates.ts";
import { API, EXAMPLE_SUB, expectArmError, expectLongRunning, header, useReplay } from "./replay.ts";

const SUB = `/subscriptions/${EXAMPLE_SUB}`;
const RG = `${SUB}/resourceGroups/contract`;
const deployment = (name: string) => `${RG}/providers/Microsoft.Resources/deployments/${name}`;
const account = (name: string, apiVersion = "2023-05-01") => storageAccount(name, { apiVersion });

const r = useReplay([RG]);

describe("deployments", () => {
  it("answers a PUT of a running deployment with 409 DeploymentActive and leaves it running", async () => {
    r.emulator.configure({ lro: { durationMs: 5_000 } });
    try {
      const first = await r.call("PUT", deployment("busy"), {
        properties: { mode: "Incremental", template: template([account("stbusy")]) },
      });
      expect(first.status).toBe(201);
      expectArmError(
        await r.call("PUT", deployment("busy"), {
          properties: { mode: "Incremental", template: template([]) },
        }),
        409,
        "DeploymentActive",
      );
      expect((await r.call("GET", deployment("busy"))).body).toMatchObject({
        properties: { provisioningState: "Running" },
      });
      expect((await r.call("POST", `${deployment("busy")}/cancel`)).status).toBe(204);
    } finally {
      r.emulator.configure({ lro: { durationMs: 30 } });
    }
  });

  for (const [what, resource, code] of [
    ["an unregistered api-version", account("stversion", "1999-01-01"), "NoRegisteredProviderFound"],
    ["an invalid property (a one-character storage account name)", account("s"), "AccountNameInvalid"],
  ] as const) {
    it(`refuses ${what} in preflight, on PUT and on validate: 400 InvalidTemplateDeployment`, async () => {
      for (const [method, path] of [
        ["PUT", deployment("preflight")],
        ["POST", `${deployment("preflight")}/validate`],
      ] as const) {
        const res = await r.call(method, path, {
          properties: { mode: "Incremental", template: template([resource]) },
        });
        expectArmError(res, 400, "InvalidTemplateDeployment");
        expect(res.body).toMatchObject({
          error: { details: [{ code: "PreflightValidationCheckFailed", details: [{ code }] }] },
        });
      }
      expectArmError(await r.call("GET", deployment("preflight")), 404, "DeploymentNotFound");
    });
  }

  it("refuses an invalid template (unknown dependsOn) synchronously with 400 InvalidTemplate", async () => {
    const res = await r.call("PUT", deployment("invalid"), {
      properties: {
        mode: "Incremental",
        template: template([{ ...account("stinvalid"), dependsOn: ["nowhere"] }]),
      },
    });
    expectArmError(res, 400, "InvalidTemplate");
  });

  it("ends a deployment that fails while running as Failed with DeploymentFailed and the resource's error", async () => {
    await r.call("PUT", `${SUB}/resourceGroups/contract-other`, { location: "eastus" });
    const taken = { properties: { mode: "Incremental", template: template([account("sttaken")]) } };
    await r
      .call(
        "PUT",
        `${SUB}/resourceGroups/contract-other/providers/Microsoft.Resources/deployments/first`,
        taken,
      )
      .then((res) => r.poll(header(res, "Azure-AsyncOperation") ?? ""));
    const second = await r.call("PUT", deployment("second"), taken);
    const status = await r.poll(expectLongRunning(second, 201, "Azure-AsyncOperation"));
    expect(status.body).toMatchObject({
      status: "Failed",
      error: { code: "DeploymentFailed", details: [{ code: "StorageAccountAlreadyTaken" }] },
    });
  });
});

describe("throttling", () => {
  it("answers an exhausted bucket with 429 SubscriptionRequestsThrottled, Retry-After and remaining 0", async () => {
    r.emulator.configure({
      throttle: {
        reads: { burst: 2, perSecond: 0.5 },
        writes: { burst: 50, perSecond: 50 },
        deletes: { burst: 50, perSecond: 50 },
      },
    });
    try {
      const [first, , throttled] = [
        await r.call("GET", RG),
        await r.call("GET", RG),
        await r.call("GET", RG),
      ];
      if (!first || !throttled) throw new Error("three answers expected");
      expect(header(first, "x-ms-ratelimit-remaining-subscription-reads")).toBe("1");
      expectArmError(throttled, 429, "SubscriptionRequestsThrottled");
      expect(Number(header(throttled, "Retry-After"))).toBeGreaterThanOrEqual(1);
      expect(header(throttled, "x-ms-ratelimit-remaining-subscription-reads")).toBe("0");
    } finally {
      r.emulator.configure({
        throttle: {
          reads: { burst: 250, perSecond: 25 },
          writes: { burst: 200, perSecond: 10 },
          deletes: { burst: 200, perSecond: 10 },
        },
      });
    }
  });
});

describe("api-version", () => {
  it("requires one: 400 MissingApiVersionParameter", async () => {
    expectArmError(await r.call("GET", RG, undefined, ""), 400, "MissingApiVersionParameter");
  });

  it("refuses one ARM does not serve for its own types: 400 InvalidApiVersionParameter", async () => {
    expectArmError(await r.call("GET", RG, undefined, "1999-01-01"), 400, "InvalidApiVersionParameter");
  });

  it("accepts a provider's api-version on the operation result its action started", async () => {
    const vm = `${RG}/providers/Microsoft.Compute/virtualMachines/vm-versions`;
    await r
      .call("PUT", vm, { location: "eastus", properties: {} }, "2023-03-01")
      .then((res) => r.poll(header(res, "Azure-AsyncOperation") ?? ""));
    const accepted = await r.call("POST", `${vm}/powerOff`, undefined, "2023-03-01");
    expect((await r.poll(expectLongRunning(accepted, 202, "Location"))).status).toBe(200);
  });

  it("refuses one the provider does not register: 400 NoRegisteredProviderFound", async () => {
    expectArmError(
      await r.call("GET", `${RG}/providers/Microsoft.Storage/storageAccounts/x`, undefined, "1999-01-01"),
      400,
      "NoRegisteredProviderFound",
    );
  });
});

describe("long-running operations and authentication", () => {
  it("puts Retry-After on every long-running answer and on every still-running poll", async () => {
    r.emulator.configure({ lro: { durationMs: 200, retryAfterSeconds: 3 } });
    try {
      const accepted = await r.call("PUT", deployment("lro"), {
        properties: { mode: "Incremental", template: template([]) },
      });
      const status = expectLongRunning(accepted, 201, "Azure-AsyncOperation");
      expect(header(accepted, "Retry-After")).toBe("3");
      await r.call("PUT", `${SUB}/resourceGroups/contract-lro`, { location: "eastus" });
      const deleting = await r.call("DELETE", `${SUB}/resourceGroups/contract-lro`);
      const location = expectLongRunning(deleting, 202, "Location");
      const running = await r.call(
        "GET",
        location.replace(r.emulator.armUrl, "").replace(/\?.*$/, ""),
        undefined,
        API,
      );
      expect([running.status, header(running, "Retry-After")]).toEqual([202, "3"]);
      await r.poll(status);
    } finally {
      r.emulator.configure({ lro: { durationMs: 30, retryAfterSeconds: 0 } });
    }
  });

  it("answers a request without a token with 401 AuthenticationFailed and a WWW-Authenticate challenge", async () => {
    const res = await armRequest(r.emulator, "GET", `${RG}?api-version=${API}`);
    expectArmError(res, 401, "AuthenticationFailed");
    expect(header(res, "WWW-Authenticate")).toMatch(/^Bearer authorization_uri=/);
  });
});

describe("IMDS token endpoint (Azure IMDS managed-identity documentation)", () => {
  it("answers GET /metadata/identity/oauth2/token with access_token, expires_in, expires_on, resource, token_type", async () => {
    const res = await imdsToken(r.emulator, "https://management.azure.com/");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      access_token: expect.any(String),
      expires_in: expect.stringMatching(/^\d+$/),
      expires_on: expect.stringMatching(/^\d+$/),
      resource: "https://management.azure.com/",
      token_type: "Bearer",
    });
  });

  it("refuses a request without the Metadata header: 400 invalid_request", async () => {
    const res = await fetch(
      `${r.emulator.imdsUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`,
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
  });
});
