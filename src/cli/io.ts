// What every command is given: where to write, the environment, whether stdout is a terminal; and
// the strict option parsing they share.
import { parseArgs } from "node:util";
import { COMMAND_USAGE, type CommandName } from "./usage.ts";

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  /** Whether stdout is a terminal: progress redraws there, plain lines in CI logs. */
  tty: boolean;
}

type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

/** Parses a command's options strictly; on a mistake prints it with the command's usage. */
export function parse(
  argv: readonly string[],
  options: OptionSpec,
  io: CliIo,
  command: CommandName,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ options: OptionSpec; allowPositionals: boolean }>> | undefined {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (e) {
    io.err(`armbridge ${command}: ${(e as Error).message}\n\n${COMMAND_USAGE[command]}`);
    return undefined;
  }
}
