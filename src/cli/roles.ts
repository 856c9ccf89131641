// `armbridge roles [--config PATH] [--name NAME]`: prints the least-privilege custom role for the config.
import { ConfigError, loadProcessConfig } from "../config/load.ts";
import { isAppError } from "../kernel/errors.ts";
import { catalog, operationNames } from "../operations/catalog.ts";
import { buildRoleDefinition } from "../policy/role-definition.ts";

/** Returns the exit code; writes the role definition JSON to `out`, problems to `err`. */
export function runRolesCommand(
  argv: readonly string[],
  out: (text: string) => void,
  err: (text: string) => void,
): number {
  const nameAt = argv.indexOf("--name");
  const name = nameAt >= 0 ? argv[nameAt + 1] : undefined;
  try {
    // Secrets are not needed to know which actions the grants use, so unset ones are fine here.
    const { config } = loadProcessConfig(argv, operationNames, { secrets: "placeholder" });
    out(`${JSON.stringify(buildRoleDefinition(config.grants, catalog, name), null, 2)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || isAppError(e)) {
      err(`armbridge roles: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
