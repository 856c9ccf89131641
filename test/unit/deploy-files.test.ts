// The deployment files agree with each other and with the Dockerfile. Bicep cannot be compiled here, so
// its modules, parameters and loaded files are checked by reading them, and cloud-init is rendered the
// way main.bicep renders it and parsed.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  bicepParams,
  block,
  bracketsBalance,
  loadedFiles,
  moduleCalls,
  readBicep,
} from "../helpers/bicep.ts";
import { execForm, parseDockerfile } from "../helpers/dockerfile.ts";

const run = promisify(execFile);
const read = (p: string) => readFileSync(p, "utf8");
const BICEP_FILES = ["deploy/main.bicep", ...readdirSync("deploy/modules").map((f) => `deploy/modules/${f}`)];
const UNIT = read("deploy/systemd/armbridge.service");
/** Every module call of every Bicep file, with the calling file. */
const MODULE_CALLS = BICEP_FILES.flatMap((file) =>
  moduleCalls(file, readBicep(file)).map((call) => [file, call] as const),
);
const bootstrap = () =>
  (
    parse(read("deploy/cloud-init.yaml")) as { write_files: { path: string; content: string }[] }
  ).write_files.find((f) => f.path === "/usr/local/sbin/armbridge-bootstrap")?.content ?? "";
/** The `docker run` arguments of the unit, continuations joined. */
const DOCKER_RUN = (/^ExecStart=\/usr\/bin\/docker run ((?:.*\\\n)*.*)$/m.exec(UNIT)?.[1] ?? "")
  .replace(/\\\n\s*/g, " ")
  .split(/\s+/);
const dockerfile = parseDockerfile(read("Dockerfile"));
const runtime = dockerfile.stages.at(-1)?.instructions ?? [];
const instruction = (keyword: string) => runtime.find((i) => i.keyword === keyword)?.args ?? "";

describe("container and unit", () => {
  it("run as the one uid that the IMDS lock-down lets through", () => {
    expect(instruction("USER")).toBe("10001:10001");
    expect(DOCKER_RUN).toContain("--user");
    expect(DOCKER_RUN[DOCKER_RUN.indexOf("--user") + 1]).toBe("10001:10001");
    expect(read("deploy/systemd/armbridge-imds-lockdown.service")).toContain(
      "ExecStart=/usr/local/sbin/armbridge-imds-lockdown --uid 10001 --cgroup armbridge.slice",
    );
    expect(read("deploy/imds/armbridge-imds-lockdown.sh")).toContain("uids=10001");
    const cloudInit = parse(read("deploy/cloud-init.yaml")) as { users: unknown[] };
    expect(cloudInit.users).toContainEqual(expect.objectContaining({ name: "armbridge", uid: 10001 }));
    expect(bootstrap()).toContain(
      "install -d -m 0700 -o 10001 -g 10001 /var/lib/armbridge-sync /var/lib/armbridge",
    );
    // The sync service reads IMDS, so it runs as the uid the lock-down lets through.
    expect(read("deploy/systemd/armbridge-sync.service")).toMatch(/^User=armbridge$/m);
  });

  it("runs the container locked down: host network for the uid match, read-only, no capabilities, init", () => {
    for (const flag of ["--read-only", "--init", "--rm"]) expect(DOCKER_RUN).toContain(flag);
    const value = (flag: string) => DOCKER_RUN[DOCKER_RUN.indexOf(flag) + 1];
    expect(value("--network")).toBe("host");
    expect(value("--cap-drop")).toBe("ALL");
    expect(value("--security-opt")).toBe("no-new-privileges");
    expect(DOCKER_RUN).toContain("ARMBRIDGE_HOST=127.0.0.1");
  });

  it("mounts the config read-only where the image looks for it, and the data where the image keeps it", () => {
    const configPath = execForm(instruction("CMD"))[1];
    const volumes = DOCKER_RUN.flatMap((a, i) => (DOCKER_RUN[i - 1] === "--volume" ? [a] : []));
    expect(volumes).toContain(`${configPath}:${configPath}:ro`);
    expect(execForm(instruction("VOLUME"))).toEqual(["/var/lib/armbridge"]);
    expect(volumes).toContain("/var/lib/armbridge:/var/lib/armbridge");
    // Secrets come from Key Vault at run time; nothing on the VM's disk holds them.
    expect(UNIT).not.toContain("secrets.env");
  });

  it("mounts the IMDS lock-down watch's textfile folder read-only and names the file the watch writes", () => {
    const volumes = DOCKER_RUN.flatMap((a, i) => (DOCKER_RUN[i - 1] === "--volume" ? [a] : []));
    const watch = read("deploy/systemd/armbridge-imds-watch.service");
    const written = /--metrics-file (\S+)/.exec(watch)?.[1] ?? "";
    const folder = written.slice(0, written.lastIndexOf("/"));
    // The folder, not the file: the watch replaces the file, which a file mount would not follow.
    const mount = volumes.find((v) => v.startsWith(`${folder}:`));
    expect(mount).toMatch(/:ro$/);
    const inContainer = mount?.split(":")[1];
    const env = DOCKER_RUN.flatMap((a, i) => (DOCKER_RUN[i - 1] === "--env" ? [a] : []));
    expect(env).toContain(`ARMBRIDGE_IMDS_LOCKDOWN_FILE=${inContainer}${written.slice(folder.length)}`);
  });

  it("gives the container the time to drain before it is killed", () => {
    const stop = Number(/docker stop --time (\d+)/.exec(UNIT)?.[1]);
    const timeout = Number(/^TimeoutStopSec=(\d+)$/m.exec(UNIT)?.[1]);
    // 25 s is armbridge's default server.shutdownTimeoutSeconds.
    expect(stop).toBeGreaterThan(25);
    expect(timeout).toBeGreaterThan(stop);
    expect(UNIT).toMatch(/^Restart=always$/m);
  });

  it("acts on the container's health: a timer restarts armbridge after failed probes of its port", () => {
    const port = DOCKER_RUN.find((a) => a.startsWith("ARMBRIDGE_PORT="))?.split("=")[1];
    const health = read("deploy/systemd/armbridge-health.service");
    expect(health).toContain(`--url http://127.0.0.1:${port}/healthz`);
    expect(read("deploy/systemd/armbridge-health.timer")).toMatch(/^OnUnitInactiveSec=\d+s$/m);
  });

  it.each(["armbridge-sync.service", "armbridge-health.service"])(
    "%s: runs its own process with the usual hardening",
    (unit) => {
      const text = read(`deploy/systemd/${unit}`);
      for (const line of ["NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes"])
        expect(text).toMatch(new RegExp(`^${line}$`, "m"));
      // An empty bounding set: no capability at all.
      expect(text).toMatch(/^CapabilityBoundingSet=$/m);
    },
  );

  it("puts Caddy's HTTPS in front of the port armbridge listens on", () => {
    const port = DOCKER_RUN.find((a) => a.startsWith("ARMBRIDGE_PORT="))?.split("=")[1];
    expect(read("deploy/caddy/Caddyfile")).toContain(`reverse_proxy 127.0.0.1:${port}`);
  });
});

describe("Bicep", () => {
  it.each(BICEP_FILES)("%s: brackets balance and every resource names an API version", (file) => {
    const text = readBicep(file);
    expect(bracketsBalance(text)).toBe(true);
    const types = [...text.matchAll(/^resource \w+ '([^']+)'/gm)].map((m) => m[1]);
    expect(types.length).toBeGreaterThan(0);
    for (const type of types)
      expect(type).toMatch(/^Microsoft\.[\w.]+\/[\w/]+@\d{4}-\d{2}-\d{2}(-preview)?$/);
  });

  it("calls every module file, so each one is checked below", () => {
    const called = new Set(MODULE_CALLS.map(([, call]) => call.path));
    expect([...called].sort()).toEqual(BICEP_FILES.filter((f) => f !== "deploy/main.bicep").sort());
  });

  it.each(MODULE_CALLS.map(([file, call]) => [file, call.name, call] as const))(
    "%s: module %s exists and gets exactly the parameters it declares",
    (_file, _name, call) => {
      expect(existsSync(call.path), call.path).toBe(true);
      const declared = bicepParams(readBicep(call.path));
      expect(declared.length).toBeGreaterThan(0);
      expect(call.params.filter((p) => !declared.some((d) => d.name === p))).toEqual([]);
      const required = declared.filter((d) => !d.hasDefault).map((d) => d.name);
      expect(required.filter((p) => !call.params.includes(p))).toEqual([]);
    },
  );

  it("takes the roles and assignments `armbridge roles --format bicep-parameters` prints, as they are", async () => {
    const main = readBicep("deploy/main.bicep");
    expect(bicepParams(main)).toEqual(
      expect.arrayContaining([
        { name: "roleDefinitions", hasDefault: false },
        { name: "roleAssignments", hasDefault: false },
        { name: "assignAtResourceGroups", hasDefault: true },
      ]),
    );
    expect(main).toMatch(/for def in roleDefinitions:/);
    expect(main).toMatch(/actions: def\.actions/);
    expect(main).toMatch(/notActions: def\.notActions/);
    expect(main).toMatch(/assignableScopes: def\.assignableScopes/);
    const { stdout } = await run(process.execPath, [
      "src/main.ts",
      "roles",
      "--config",
      "config/example.yaml",
      "--format",
      "bicep-parameters",
    ]);
    const params = JSON.parse(stdout).parameters as Record<string, { value: unknown }>;
    // Every parameter the file sets is one main.bicep declares.
    const declared = bicepParams(main).map((p) => p.name);
    expect(Object.keys(params).filter((k) => !declared.includes(k))).toEqual([]);
    const assignments = params.roleAssignments?.value as { role: string; scope: string }[];
    const definitions = params.roleDefinitions?.value as { name: string; assignableScopes: string[] }[];
    // main.bicep's filters: a subscription splits into 3 parts, a resource group into 5; each
    // assignment names a definition that may be assigned there.
    for (const a of assignments) {
      expect([3, 5]).toContain(a.scope.split("/").length);
      expect(definitions.find((d) => d.name === a.role)?.assignableScopes).toContain(a.scope);
    }
  });
});

describe("IMDS lock-down units", () => {
  const lockdown = read("deploy/systemd/armbridge-imds-lockdown.service");
  const directive = (text: string, key: string) =>
    [...text.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].flatMap((m) => (m[1] as string).split(/\s+/));
  const args = (text: string, key: string) => /--uid.*$/.exec(directive(text, key).join(" "))?.[0];

  it("run armbridge in the cgroup the rules name, and load the same rules everywhere", () => {
    expect(DOCKER_RUN[DOCKER_RUN.indexOf("--cgroup-parent") + 1]).toBe("armbridge.slice");
    const rules = args(lockdown, "ExecStart");
    expect(rules).toBe("--uid 10001 --cgroup armbridge.slice");
    expect(args(lockdown, "ExecReload")).toBe(rules);
    expect(args(read("deploy/systemd/armbridge-imds-watch.service"), "ExecStart")).toBe(rules);
    expect(directive(lockdown, "Wants")).toContain("armbridge.slice");
    expect(directive(lockdown, "After")).toContain("armbridge.slice");
  });

  it("come back after nftables.service flushes the ruleset (start, restart, reload), and before the container", () => {
    expect(directive(lockdown, "PartOf")).toEqual(["nftables.service"]);
    expect(directive(lockdown, "ReloadPropagatedFrom")).toEqual(["nftables.service"]);
    expect(directive(lockdown, "After")).toContain("nftables.service");
    expect(directive(lockdown, "WantedBy")).toEqual(
      expect.arrayContaining(["multi-user.target", "nftables.service"]),
    );
    expect(directive(lockdown, "Before")).toEqual(
      expect.arrayContaining([
        "network-pre.target",
        "docker.service",
        "containerd.service",
        "armbridge.service",
      ]),
    );
    // cloud-init.service was split and renamed in newer cloud-init; the lock-down needs none of it.
    expect(lockdown).not.toContain("cloud-init");
    expect(directive(UNIT, "Requires")).toContain("armbridge-imds-lockdown.service");
    expect(directive(UNIT, "After")).toContain("armbridge-imds-lockdown.service");
  });

  it("check every minute, from boot on", () => {
    const timer = read("deploy/systemd/armbridge-imds-watch.timer");
    expect(directive(timer, "OnBootSec")).toEqual(["1min"]);
    expect(directive(timer, "OnUnitActiveSec")).toEqual(["1min"]);
    expect(directive(timer, "WantedBy")).toEqual(["timers.target"]);
  });
});

describe("cloud-init and userData", () => {
  const host = "deploy/modules/host.bicep";
  const hostText = readBicep(host);

  it("bootstraps from userData only: a fixed file that host.bicep sends as it is", () => {
    expect(hostText).toMatch(/^\s+customData: loadFileAsBase64\('\.\.\/cloud-init\.yaml'\)$/m);
    const config = parse(read("deploy/cloud-init.yaml")) as { packages: string[]; runcmd: string[][] };
    expect(config.packages).toEqual(expect.arrayContaining(["docker.io", "nftables", "caddy", "python3"]));
    expect(config.runcmd).toEqual([["/usr/local/sbin/armbridge-bootstrap"]]);
    expect(bootstrap()).toContain(
      "/usr/local/sbin/armbridge-sync apply --userdata /var/lib/armbridge-sync/userdata.json --first-boot",
    );
    for (const file of loadedFiles(host, hostText)) expect(existsSync(file), file).toBe(true);
  });

  it("sends every unit and VM script of deploy/ to the VM (only the CI self-test stays behind)", () => {
    const values = block(hostText, hostText.indexOf("[", hostText.indexOf("var userDataFiles = ")));
    const loaded = [...values.matchAll(/loadTextContent\('\.\.\/([^']+)'\)/g)].map((m) => m[1] as string);
    const onDisk = ["systemd", "imds", "vm"].flatMap((dir) =>
      readdirSync(`deploy/${dir}`).map((f) => `${dir}/${f}`),
    );
    expect(onDisk.filter((f) => !loaded.includes(f))).toEqual(["imds/selftest-netns.sh"]);
  });

  it("sends in userData exactly the files armbridge-sync manages (the TLS certificate comes from Key Vault)", () => {
    const sync = read("deploy/vm/armbridge-sync");
    const managedBlock = sync.slice(
      sync.indexOf("MANAGED = {"),
      sync.indexOf("}\n", sync.indexOf("MANAGED = {")),
    );
    const managed = [...managedBlock.matchAll(/^ {4}"([^"]+)":/gm)].map((m) => m[1] as string);
    const values = block(hostText, hostText.indexOf("[", hostText.indexOf("var userDataFiles = ")));
    const sent = [...values.matchAll(/path: '([^']+)'/g)].map((m) => m[1] as string);
    expect(managed.length).toBeGreaterThan(10);
    expect(sent.sort()).toEqual(managed.sort());
    expect(sync).toMatch(/^TLS_PATH = "\/etc\/caddy\/armbridge-tls\.pem"$/m);
    expect(read("deploy/caddy/Caddyfile.keyvault")).toContain("tls /etc/caddy/armbridge-tls.pem");
  });
});

describe("Key Vault and Event Grid", () => {
  it("creates the vault with RBAC authorization and gives the identity Key Vault Secrets User, nothing more", () => {
    const vault = readBicep("deploy/modules/key-vault.bicep");
    expect(vault).toMatch(/enableRbacAuthorization: true/);
    expect(vault).toMatch(/enablePurgeProtection: true/);
    const forIdentity = block(vault, vault.indexOf("{", vault.indexOf("resource readSecrets")));
    expect(forIdentity).toMatch(/principalId: principalId/);
    expect(forIdentity).toMatch(/secretsUserRole\)/);
    expect(vault).toMatch(/^var secretsUserRole = '4633458b-17de-408a-b874-0445c86b69e6'$/m);
    // The identity appears in no other assignment.
    expect([...vault.matchAll(/principalId: principalId/g)]).toHaveLength(1);
  });

  it("dead-letters what Event Grid gives up on, into storage reached with the topic's identity", () => {
    const grid = readBicep("deploy/modules/event-grid.bicep");
    const subscription = block(grid, grid.indexOf("{", grid.indexOf("resource delivery")));
    expect(subscription).toMatch(
      /retryPolicy: \{\s+maxDeliveryAttempts: 30\s+eventTimeToLiveInMinutes: 1440/,
    );
    expect(subscription).toMatch(
      /deadLetterWithResourceIdentity: \{\s+identity: \{ type: 'SystemAssigned' \}/,
    );
    expect(subscription).toMatch(/endpointType: 'StorageBlob'/);
    expect(grid).toMatch(/allowSharedKeyAccess: false/);
    expect(grid).toMatch(/principalId: topic\.identity\.principalId/);
    expect(readBicep("deploy/modules/event-grid-topic.bicep")).toMatch(
      /identity: \{ type: 'SystemAssigned' \}/,
    );
  });

  it("creates a system topic only when no existing one is named", () => {
    const main = readBicep("deploy/main.bicep");
    expect(main).toMatch(
      /^var createTopic = !empty\(eventGrid\) && empty\(eventGrid\.\?systemTopic \?\? ''\)$/m,
    );
    expect(main).toMatch(/^module topic 'modules\/event-grid-topic\.bicep' = if \(createTopic\)/m);
    expect(main).toMatch(
      /systemTopicName: eventGrid\.\?systemTopic \?\? '\$\{namePrefix\}-subscription-events'/,
    );
  });
});
