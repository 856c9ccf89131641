// `armbridge check-config`: validates a config without starting, then cross-checks its parts.
import { readFileSync } from "node:fs";
import { ConfigError, configPathFrom, loadConfigFile } from "../config/load.ts";
import { operationNames } from "../operations/catalog.ts";
import { crossCheck, type EventGridDeployment, eventGridDeploymentFrom } from "./config-checks.ts";
import { type CliIo, parse } from "./io.ts";

export function runCheckConfigCommand(argv: readonly string[], io: CliIo): number {
  const parsed = parse(
    argv,
    { config: { type: "string" }, "deploy-params": { type: "string" }, "skip-secrets": { type: "boolean" } },
    io,
    "check-config",
  );
  if (!parsed) return 2;
  const values = parsed.values as { config?: string; "deploy-params"?: string; "skip-secrets"?: boolean };
  const path = configPathFrom(values.config ? ["--config", values.config] : [], io.env);
  let deployment: EventGridDeployment | undefined;
  if (values["deploy-params"]) {
    try {
      deployment = eventGridDeploymentFrom(readFileSync(values["deploy-params"], "utf8"));
    } catch (e) {
      io.err(`armbridge check-config: cannot read ${values["deploy-params"]}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  try {
    const config = loadConfigFile(path, io.env, operationNames, {
      secrets: values["skip-secrets"] ? "placeholder" : "resolve",
    });
    const findings = crossCheck(config, deployment);
    for (const f of findings) io.err(`${f.level}: ${f.path}: ${f.message}\n`);
    const errors = findings.filter((f) => f.level === "error").length;
    const warnings = findings.length - errors;
    io.out(`${path}: ${errors} error(s), ${warnings} warning(s)\n`);
    return errors > 0 ? 1 : 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const problem of e.problems) io.err(`error: ${problem}\n`);
    io.out(`${path}: ${e.problems.length} error(s)\n`);
    return 1;
  }
}
