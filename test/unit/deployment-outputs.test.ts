// Deployment outputs as a job keeps them: secure ones are dropped by type, whatever ARM sent with them.
import { describe, expect, it } from "vitest";
import { plainOutputs } from "../../src/operations/deployment-resume.ts";

describe("plainOutputs", () => {
  it("keeps plain outputs' values and drops secureString and secureObject ones, value and name", () => {
    const outputs = {
      url: { type: "String", value: "https://app" },
      count: { type: "Int", value: 3 },
      key: { type: "SecureString", value: "s3cret" },
      bundle: { type: "secureObject", value: { password: "s3cret" } },
      shy: { type: "securestring" },
    };
    const kept = plainOutputs(outputs);
    expect(kept).toEqual({ url: "https://app", count: 3 });
    expect(JSON.stringify(kept)).not.toContain("s3cret");
  });

  it("answers no outputs with an empty object", () => {
    expect(plainOutputs(undefined)).toEqual({});
  });
});
