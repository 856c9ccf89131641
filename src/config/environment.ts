// The process environment, read here only (STYLE: config/ alone reads process.env). The
// command line takes it from here as a plain map and hands it down (token sources read the CI
// system's variables from it, check-config the secrets' variables); the variables the command line
// itself understands are checked once, here, every bad one named.
import { z } from "zod";
import type { Env } from "./schema.ts";

/** A copy of the process environment, so nothing downstream can change the process's own. */
export function processEnvironment(): Env {
  return { ...process.env };
}

const cliEnvironmentSchema = z.object({
  /** armbridge's base URL for `armbridge call` when --url is not given. */
  ARMBRIDGE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The audience `armbridge call` asks the caller's token for when --audience is not given. */
  ARMBRIDGE_AUDIENCE: z.string().min(1).optional(),
});

export type CliEnvironment = z.infer<typeof cliEnvironmentSchema>;

/** The command line's own variables, or every problem with them (`ARMBRIDGE_URL: Invalid URL`). */
export function cliEnvironment(
  env: Env,
): { ok: true; value: CliEnvironment } | { ok: false; problems: string[] } {
  // An empty variable counts as unset, as a shell's `VAR=` usually means.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = cliEnvironmentSchema.safeParse(set);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
}
