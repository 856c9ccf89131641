// The property checks real providers make in preflight (a deployment's validate) and on PUT.
import type { ArmErrorDetail } from "./arm-error.ts";

type Rule = (name: string, body: Record<string, unknown>) => ArmErrorDetail | undefined;

const RULES: Record<string, Rule> = {
  // As in Deployments_Validate's published 400 example (AccountNameInvalid, target = the name).
  "microsoft.storage/storageaccounts": (name) =>
    /^[a-z0-9]{3,24}$/.test(name)
      ? undefined
      : {
          code: "AccountNameInvalid",
          message: `${name} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.`,
          target: name,
        },
  "microsoft.keyvault/vaults": (name) =>
    /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(name) && !name.includes("--")
      ? undefined
      : {
          code: "VaultNameNotValid",
          message: `The vault name '${name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens.`,
          target: name,
        },
};

/** The first rule the resource breaks, if any. */
export function checkProperties(
  fullType: string,
  name: string,
  body: Record<string, unknown>,
): ArmErrorDetail | undefined {
  return RULES[fullType.toLowerCase()]?.(name, body);
}

/** Names that are global across Azure (storage accounts): a second owner fails at deployment time. */
export function globallyUnique(fullType: string): boolean {
  return fullType.toLowerCase() === "microsoft.storage/storageaccounts";
}
