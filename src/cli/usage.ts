// What `armbridge --help` and `armbridge COMMAND --help` print.
export const COMMANDS = ["serve", "check-config", "roles", "call"] as const;
export type CommandName = (typeof COMMANDS)[number];

export const MAIN_USAGE = `Usage: armbridge [COMMAND] [OPTIONS]

Runs Azure Resource Manager operations under a VM's managed identity for authenticated callers.

Commands:
  serve          start the service (the default when no command is given)
  check-config   validate a config without starting, with cross-checks between its parts
  roles          print the least-privilege Azure custom role for a config's grants
  call           call one operation of a running armbridge, as a CI job or a script would

Options:
  -h, --help     show this help (or a command's: armbridge COMMAND --help)
  -v, --version  print the version

Documentation: docs/cli.md
`;

export const COMMAND_USAGE: Record<CommandName, string> = {
  serve: `Usage: armbridge serve [--config PATH]

Starts armbridge on the config at PATH (default: ARMBRIDGE_CONFIG, then config/local.yaml).
Exits 2 naming every invalid field when the config cannot be used.
`,
  "check-config": `Usage: armbridge check-config [--config PATH] [--deploy-params FILE] [--skip-secrets]

Validates the config without starting: every problem with its path, then cross-checks a person would
otherwise find in production: a route whose operation no grant of its callers allows, an event
source whose schema differs from what its Event Grid subscription sends (with --deploy-params, the
ARM parameters file of deploy/main.bicep), an OIDC caller without a condition on an id.

  --config PATH          the config (default: ARMBRIDGE_CONFIG, then config/local.yaml)
  --deploy-params FILE   deploy/main.bicep's parameters (JSON) to compare the Event Grid schema with
  --skip-secrets         do not require the secrets' environment variables to be set

Exits 0 when there are no errors (warnings are printed), 1 on errors, 2 when the file is unusable.
`,
  roles: `Usage: armbridge roles [--config PATH] [--name NAME] [--format json|bicep-parameters]

Prints the least-privilege Azure custom roles for the config's grants and where each is assigned:
JSON, or a parameters file for deploy/main.bicep (--format bicep-parameters).
`,
  call: `Usage: armbridge call OPERATION --url URL [--token-from SOURCE] [--param KEY=VALUE]... [--wait]

Calls POST /v1/operations/OPERATION with an Idempotency-Key, as the caller whose token SOURCE gives.

  --url URL             armbridge's base URL (or ARMBRIDGE_URL)
  --token-from SOURCE   where the caller's token comes from (default: env):
                          github-actions  the job's OIDC token (needs permissions: id-token: write)
                          gitlab          an id_tokens variable (ARMBRIDGE_ID_TOKEN)
                          azure-devops    the pipeline's OIDC token (SYSTEM_OIDCREQUESTURI, needs
                                          SYSTEM_ACCESSTOKEN and an armbridge service connection id)
                          az              an Entra token from the Azure CLI (az account get-access-token)
                          env             ARMBRIDGE_TOKEN (an API key or any bearer token)
  --audience AUD        the audience to ask the token for (default: ARMBRIDGE_AUDIENCE, then "armbridge")
  --param KEY=VALUE     an input parameter; VALUE is JSON when it parses as JSON, else a string;
                        KEY may be a dotted path (tags.owner=web); VALUE @FILE reads a JSON file
                        (template=@infra/main.json)
  --params-file FILE    the input as a JSON object (--param values are merged over it)
  --idempotency-key K   the key (default: derived from the CI run, else random)
  --wait                follow the job to its end; exit 1 with ARM's error when it fails
  --timeout SECONDS     how long --wait follows the job (default 3600)
`,
};
