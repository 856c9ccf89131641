// A redeploy with another config or image: host.bicep is evaluated for two parameter sets, the
// second deployment may change only the VM's userData (customData and osProfile cannot change once
// the VM exists), and the VM side is run for real: armbridge-sync reads the userData from the
// emulator's IMDS, installs what changed and asks for exactly the restarts the change needs.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Emulator, startEmulator } from "@armbridge/azure-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BicepEvaluator, differingPaths } from "../helpers/bicep-eval.ts";

const run = promisify(execFile);
const SYNC = "deploy/vm/armbridge-sync";
const CONFIG_A = "callers: []\nhooks: []\n";
const CONFIG_B = "callers: []\nhooks: []\naudit: { retentionDays: 30 }\n";
const IMAGE_A = `registry.example/armbridge@sha256:${"a".repeat(64)}`;
const IMAGE_B = `registry.example/armbridge@sha256:${"b".repeat(64)}`;

/** host.bicep's VM resource for one deployment's parameters; the other resources are stand-ins. */
function renderVm(params: {
  config: string;
  image: string;
  tls?: string;
  identity?: "SystemAssigned" | "UserAssigned";
}) {
  const evaluator = new BicepEvaluator("deploy/modules/host.bicep", {
    location: "westeurope",
    namePrefix: "armbridge",
    identityType: params.identity ?? "SystemAssigned",
    armbridgeImage: params.image,
    armbridgeConfig: params.config,
    adminUsername: "azureuser",
    sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA test",
    vmSize: "Standard_B2s",
    dnsLabel: "armbridge-test",
    httpsSourceAddressPrefixes: ["203.0.113.0/24"],
    tlsCertificateSecretName: params.tls ?? "",
    keyVaultName: "armbridge-kv",
    insights: { properties: { ConnectionString: "InstrumentationKey=00000000-0000-0000-0000-000000000000" } },
    userIdentity: {
      id: "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/i",
      properties: { clientId: "c1" },
    },
    nic: { id: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkInterfaces/nic" },
    publicIp: { properties: { dnsSettings: { fqdn: "armbridge-test.westeurope.cloudapp.azure.com" } } },
  });
  return evaluator.declaration("resource", "vm") as {
    properties: { userData: string; osProfile: { customData: string } };
  };
}

const userDataOf = (vm: ReturnType<typeof renderVm>) =>
  JSON.parse(Buffer.from(vm.properties.userData, "base64").toString("utf8")) as {
    files: { path: string; content: string }[];
    tls: { keyVaultSecretUrl: string } | null;
  };

describe("a redeploy", () => {
  it("changes only the VM's userData when the config or the image changes", () => {
    const first = renderVm({ config: CONFIG_A, image: IMAGE_A });
    expect(differingPaths(first, renderVm({ config: CONFIG_B, image: IMAGE_A }))).toEqual([
      "properties.userData",
    ]);
    expect(differingPaths(first, renderVm({ config: CONFIG_A, image: IMAGE_B }))).toEqual([
      "properties.userData",
    ]);
    // customData is the repository's bootstrap, byte for byte, whatever is deployed.
    expect(Buffer.from(first.properties.osProfile.customData, "base64").toString("utf8")).toBe(
      readFileSync("deploy/cloud-init.yaml", "utf8"),
    );
    expect(readFileSync("deploy/cloud-init.yaml", "utf8")).not.toMatch(/@@\w+@@|\{\$\w+\}/);
  });

  it("fits Azure's 64 KB userData limit with the example config and room to grow", () => {
    const config = readFileSync("config/example.yaml", "utf8");
    const userData = renderVm({ config, image: IMAGE_A, tls: "armbridge-tls", identity: "UserAssigned" })
      .properties.userData;
    // The base64 text is what Azure counts; a config about twice the example's still fits.
    expect(userData.length + 2 * Buffer.byteLength(config)).toBeLessThan(64 * 1024);
  });

  it("sends the repository's files, the config and the image, and the Key Vault certificate when asked", () => {
    const doc = userDataOf(renderVm({ config: CONFIG_B, image: IMAGE_B }));
    const file = (path: string) => doc.files.find((f) => f.path === path)?.content;
    expect(file("/etc/armbridge/config.yaml")).toBe(CONFIG_B);
    expect(file("/etc/armbridge/armbridge.env")).toContain(`ARMBRIDGE_IMAGE=${IMAGE_B}\n`);
    expect(file("/etc/systemd/system/armbridge.service")).toBe(
      readFileSync("deploy/systemd/armbridge.service", "utf8"),
    );
    expect(file("/usr/local/sbin/armbridge-sync")).toBe(readFileSync(SYNC, "utf8"));
    expect(file("/etc/caddy/Caddyfile")).toContain("armbridge-test.westeurope.cloudapp.azure.com {");
    expect(doc.tls).toBeNull();
    const withCertificate = userDataOf(renderVm({ config: CONFIG_A, image: IMAGE_A, tls: "armbridge-tls" }));
    expect(withCertificate.tls?.keyVaultSecretUrl).toBe(
      "https://armbridge-kv.vault.azure.net/secrets/armbridge-tls",
    );
    expect(withCertificate.files.find((f) => f.path === "/etc/caddy/Caddyfile")?.content).toContain(
      "tls /etc/caddy/armbridge-tls.pem",
    );
  });

  describe("on the VM", () => {
    let emulator: Emulator;
    let work: string;
    beforeAll(async () => {
      emulator = await startEmulator({});
      work = mkdtempSync(join(tmpdir(), "armbridge-sync-"));
    });
    afterAll(async () => {
      await emulator?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    /** One timer run: fetch as the sync service does, then apply into `root` without running systemctl. */
    async function syncRun(vm: ReturnType<typeof renderVm>, firstBoot = false) {
      emulator.configure({ userData: vm.properties.userData });
      const staged = join(work, "userdata.json");
      await run("python3", [SYNC, "fetch", "--imds", emulator.imdsUrl, "--out", staged]);
      const args = [SYNC, "apply", "--userdata", staged, "--root", join(work, "root"), "--no-act"];
      const { stdout } = await run("python3", firstBoot ? [...args, "--first-boot"] : args);
      return JSON.parse(stdout) as { changed: string[]; actions: string[][] };
    }

    it("installs everything on the first boot and starts the lock-down before armbridge", async () => {
      const { changed, actions } = await syncRun(renderVm({ config: CONFIG_A, image: IMAGE_A }), true);
      expect(changed).toContain("/etc/armbridge/config.yaml");
      expect(readFileSync(join(work, "root/etc/armbridge/config.yaml"), "utf8")).toBe(CONFIG_A);
      expect(statSync(join(work, "root/etc/armbridge/armbridge.env")).mode & 0o777).toBe(0o600);
      const enabled = actions.filter((a) => a[1] === "enable").map((a) => a.at(-1));
      expect(enabled.indexOf("armbridge-imds-lockdown.service")).toBeLessThan(
        enabled.indexOf("armbridge.service"),
      );
      expect(enabled).toEqual(expect.arrayContaining(["armbridge-sync.timer", "armbridge-health.timer"]));
    });

    it("does nothing when the deployment is the same", async () => {
      expect(await syncRun(renderVm({ config: CONFIG_A, image: IMAGE_A }))).toEqual({
        changed: [],
        actions: [],
      });
    });

    it("restarts armbridge (which drains on SIGTERM) for a new config, and for a new image", async () => {
      expect(await syncRun(renderVm({ config: CONFIG_B, image: IMAGE_A }))).toEqual({
        changed: ["/etc/armbridge/config.yaml"],
        actions: [["systemctl", "restart", "armbridge.service"]],
      });
      expect(readFileSync(join(work, "root/etc/armbridge/config.yaml"), "utf8")).toBe(CONFIG_B);
      expect(await syncRun(renderVm({ config: CONFIG_B, image: IMAGE_B }))).toEqual({
        changed: ["/etc/armbridge/armbridge.env"],
        actions: [["systemctl", "restart", "armbridge.service"]],
      });
    });

    it("refuses userData that names a file it does not manage, and leaves the VM as it was", async () => {
      const doc = {
        schema: "armbridge-userdata/1",
        files: [{ path: "/etc/sudoers", content: "ALL ALL=(ALL) NOPASSWD: ALL\n" }],
      };
      emulator.configure({ userData: Buffer.from(JSON.stringify(doc)).toString("base64") });
      const failed = run("python3", [
        SYNC,
        "fetch",
        "--imds",
        emulator.imdsUrl,
        "--out",
        join(work, "bad.json"),
      ]);
      await expect(failed).rejects.toMatchObject({
        stderr: expect.stringContaining("does not manage: '/etc/sudoers'"),
      });
      expect(() => statSync(join(work, "bad.json"))).toThrow();
    });
  });
});
