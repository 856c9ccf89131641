// Who is asking: the verified identity every later layer attributes its work to.

export type CallerKind = "github-webhook";

export interface Caller {
  /** The configured caller id; stable across requests, used in grants and audit. */
  id: string;
  kind: CallerKind;
  /** A human-readable subject, e.g. `repo:org/app:ref:refs/heads/main` or the webhook's sender. */
  subject: string;
  /** Verified claims that routes and grants may use. Never secrets. */
  claims: Record<string, unknown>;
}

/** What an authenticator concluded: a caller, or why none of the configured ones matched. */
export type Authentication = { ok: true; caller: Caller } | { ok: false; reason: string };
