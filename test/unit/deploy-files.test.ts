// The deployment files agree with each other and with the Dockerfile. Bicep cannot be compiled here, so
// its modules, parameters and loaded files are checked by reading them, and cloud-init is rendered the
// way main.bicep renders it and parsed.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
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
    const cloudInit = parse(read("deploy/cloud-init.yaml")) as { users: unknown[]; runcmd: string[][] };
    expect(cloudInit.users).toContainEqual(expect.objectContaining({ name: "armbridge", uid: 10001 }));
    expect(cloudInit.runcmd).toContainEqual(expect.arrayContaining(["-o", "10001", "/var/lib/armbridge"]));
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
    expect(DOCKER_RUN).toContain("/etc/armbridge/secrets.env");
  });

  it("gives the container the time to drain before it is killed", () => {
    const stop = Number(/docker stop --time (\d+)/.exec(UNIT)?.[1]);
    const timeout = Number(/^TimeoutStopSec=(\d+)$/m.exec(UNIT)?.[1]);
    // 25 s is armbridge's default server.shutdownTimeoutSeconds.
    expect(stop).toBeGreaterThan(25);
    expect(timeout).toBeGreaterThan(stop);
    expect(UNIT).toMatch(/^Restart=always$/m);
  });

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

  it.each(BICEP_FILES)("%s: modules exist and get exactly the parameters they declare", (file) => {
    for (const call of moduleCalls(file, readBicep(file))) {
      expect(existsSync(call.path), call.path).toBe(true);
      const declared = bicepParams(readBicep(call.path));
      expect(call.params.filter((p) => !declared.some((d) => d.name === p))).toEqual([]);
      const required = declared.filter((d) => !d.hasDefault).map((d) => d.name);
      expect(required.filter((p) => !call.params.includes(p))).toEqual([]);
    }
  });

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

describe("cloud-init", () => {
  const host = "deploy/modules/host.bicep";
  const hostText = readBicep(host);
  const values = block(hostText, hostText.indexOf("{", hostText.indexOf("var cloudInitValues = ")));
  const keys = [...values.matchAll(/^\s+(\w+): /gm)].map((m) => m[1] as string);
  const template = read("deploy/cloud-init.yaml");

  it("has a value in host.bicep for every placeholder, and no value without one", () => {
    const placeholders = [...new Set([...template.matchAll(/@@(\w+)@@/g)].map((m) => m[1]))];
    expect(keys.sort()).toEqual(placeholders.sort());
    for (const file of loadedFiles(host, hostText)) expect(existsSync(file), file).toBe(true);
  });

  it("renders, as host.bicep renders it, into a cloud-config that installs the repository's files", () => {
    // The file-backed values as Bicep loads them; the deployment's values stand in.
    const files = Object.fromEntries(
      [...values.matchAll(/^\s+(\w+): loadFileAsBase64\('([^']+)'\)/gm)].map((m) => [
        m[1],
        readFileSync(join("deploy/modules", m[2] as string)).toString("base64"),
      ]),
    );
    const rendered = keys.reduce(
      (text, key) =>
        text.replaceAll(`@@${key}@@`, files[key] ?? Buffer.from(`value of ${key}\n`).toString("base64")),
      template,
    );
    expect(rendered.startsWith("#cloud-config\n")).toBe(true);
    const config = parse(rendered) as {
      write_files: { path: string; encoding?: string; content: string }[];
      runcmd: string[][];
      packages: string[];
    };
    const installed = (path: string) => {
      const entry = config.write_files.find((f) => f.path === path);
      return entry?.encoding === "b64"
        ? Buffer.from(entry.content, "base64").toString("utf8")
        : entry?.content;
    };
    expect(installed("/etc/systemd/system/armbridge.service")).toBe(UNIT);
    expect(installed("/usr/local/sbin/armbridge-imds-lockdown")).toBe(
      read("deploy/imds/armbridge-imds-lockdown.sh"),
    );
    expect(installed("/usr/local/sbin/check-imds-lockdown")).toBe(read("deploy/imds/check-imds-lockdown.sh"));
    expect(installed("/usr/local/sbin/watch-imds-lockdown")).toBe(read("deploy/imds/watch-imds-lockdown.sh"));
    for (const unit of [
      "armbridge-imds-lockdown.service",
      "armbridge.slice",
      "armbridge-imds-watch.service",
      "armbridge-imds-watch.timer",
    ]) {
      expect(installed(`/etc/systemd/system/${unit}`), unit).toBe(read(`deploy/systemd/${unit}`));
    }
    expect(installed("/etc/armbridge/secrets.env")).toBe("");
    expect(config.packages).toEqual(expect.arrayContaining(["docker.io", "nftables", "caddy"]));
    // The lock-down is on before the container that holds the identity starts.
    const step = (unit: string) => config.runcmd.findIndex((c) => c.includes(unit));
    expect(step("armbridge-imds-lockdown.service")).toBeGreaterThanOrEqual(0);
    expect(step("armbridge-imds-lockdown.service")).toBeLessThan(step("armbridge.service"));
    expect(step("armbridge-imds-watch.timer")).toBeGreaterThan(step("armbridge-imds-lockdown.service"));
  });
});
