// `armbridge roles` as the deployment runs it: its own process, the committed local config, no secrets set.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("node src/main.ts roles", () => {
  it("prints the custom roles and assignments for config/local.yaml on stdout and exits 0", async () => {
    const env = { ...process.env };
    delete env.ARMBRIDGE_DEMO_SECRET;
    const { stdout } = await run(
      process.execPath,
      ["src/main.ts", "roles", "--config", "config/local.yaml"],
      {
        env,
        timeout: 20_000,
      },
    );
    const plan = JSON.parse(stdout);
    expect(plan.definitions).toEqual([
      expect.objectContaining({
        IsCustom: true,
        Actions: ["Microsoft.Resources/subscriptions/resourceGroups/write"],
        NotActions: [],
        AssignableScopes: ["/subscriptions/00000000-0000-0000-0000-000000000001"],
      }),
    ]);
    expect(plan.assignments).toEqual([
      expect.objectContaining({ scope: "/subscriptions/00000000-0000-0000-0000-000000000001" }),
    ]);
  });

  it("exits 2 and names the problem for a config it cannot use", async () => {
    const failed = await run(process.execPath, ["src/main.ts", "roles", "--config", "nope.yaml"], {
      timeout: 20_000,
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining("cannot read the file") });
  });
});
