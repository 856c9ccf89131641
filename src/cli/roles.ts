// `armbridge roles [--config PATH] [--name PREFIX] [--format json|bicep-parameters]`: prints the
// least-privilege custom roles for the config's grants and where each is assigned.
import { ConfigError, loadProcessConfig } from "../config/load.ts";
import { isAppError } from "../kernel/errors.ts";
import { catalog, operationNames } from "../operations/catalog.ts";
import { buildRoles, type RolePlan } from "../policy/role-definition.ts";

/** Returns the exit code; writes the roles to `out`, problems to `err`. */
export function runRolesCommand(
  argv: readonly string[],
  out: (text: string) => void,
  err: (text: string) => void,
): number {
  const option = (flag: string) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const format = option("--format") ?? "json";
  if (format !== "json" && format !== "bicep-parameters") {
    err(`armbridge roles: --format must be json or bicep-parameters, not '${format}'\n`);
    return 2;
  }
  try {
    // Secrets are not needed to know which actions the grants use, so unset ones are fine here.
    const { config } = loadProcessConfig(argv, operationNames, { secrets: "placeholder" });
    const plan = buildRoles(config.grants, catalog, option("--name"));
    out(`${JSON.stringify(format === "json" ? plan : bicepParameters(plan), null, 2)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || isAppError(e)) {
      err(`armbridge roles: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/**
 * A deployment parameters file for deploy/main.bicep (`--parameters @roles.json`): the definitions
 * and every assignment at a subscription or resource group, which is what the Bicep assigns.
 */
export function bicepParameters(plan: RolePlan) {
  return {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
    contentVersion: "1.0.0.0",
    parameters: {
      roleDefinitions: {
        value: plan.definitions.map((d) => ({
          name: d.Name,
          description: d.Description,
          actions: d.Actions,
          notActions: d.NotActions,
          assignableScopes: d.AssignableScopes,
        })),
      },
      roleAssignments: {
        value: plan.assignments.map((a) => ({ role: a.role, scope: a.scope })),
      },
    },
  };
}
