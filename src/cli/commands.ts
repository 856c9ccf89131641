// The `armbridge` command line: picks the command, answers --help and --version, runs the command.
// Built on node:util parseArgs, so options follow the usual conventions (--key value, --key=value, -h).
// Each command's module is loaded when that command runs: `serve` starts without the client, the
// role generator or the config cross-checks (and what they import).
import { readFileSync } from "node:fs";
import { processEnvironment } from "../config/environment.ts";
import { type CliIo, parse } from "./io.ts";
import { COMMAND_USAGE, COMMANDS, type CommandName, MAIN_USAGE } from "./usage.ts";

const processIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: processEnvironment(),
  tty: process.stdout.isTTY === true,
};

/** The package's version, read beside the source (or the built dist/) so both report the same. */
export function version(): string {
  for (const rel of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "armbridge" && pkg.version) return pkg.version;
    } catch {
      // Not this level; try the next one up.
    }
  }
  return "unknown";
}

/** Runs the command line; resolves with the exit code (`serve` resolves once it listens). */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const first = argv[0];
  const named = first !== undefined && !first.startsWith("-");
  if (named && !(COMMANDS as readonly string[]).includes(first)) {
    io.err(`armbridge: unknown command '${first}'\n\n${MAIN_USAGE}`);
    return 2;
  }
  const command: CommandName = named ? (first as CommandName) : "serve";
  const rest = named ? argv.slice(1) : argv;
  if (!named && (rest.includes("--version") || rest.includes("-v"))) {
    io.out(`${version()}\n`);
    return 0;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(named ? COMMAND_USAGE[command] : MAIN_USAGE);
    return 0;
  }
  switch (command) {
    case "serve": {
      const options = parse(rest, { config: { type: "string" } }, io, command);
      if (!options) return 2;
      const { startServer } = await import("../start.ts");
      await startServer(rest);
      return 0;
    }
    case "roles":
      if (
        !parse(
          rest,
          { config: { type: "string" }, name: { type: "string" }, format: { type: "string" } },
          io,
          command,
        )
      )
        return 2;
      return (await import("./roles.ts")).runRolesCommand(rest, io.out, io.err);
    case "check-config":
      return (await import("./check-config.ts")).runCheckConfigCommand(rest, io);
    case "call":
      return (await import("./call.ts")).runCallCommand(rest, io);
  }
}
