// What each OIDC preset knows about its issuer: where its keys are, what it pins, which claims matter.
import type { OidcCallerConfig } from "../config/schema.ts";

export interface ResolvedIssuer {
  issuers: string[];
  jwksUrl: string;
  audiences: string[];
  /** Claims that must equal a configured value beyond the issuer (the org or tenant). */
  pinned: Record<string, string>;
  /** Claims copied into `Caller.claims` (besides those named in conditions); `undefined` means all. */
  claims: readonly string[] | undefined;
  /** Extra consistency checks on verified claims; a reason when they fail. */
  check(claims: Record<string, unknown>): string | undefined;
  /** The caller's subject, and other forms of `sub` that conditions on `sub` may match. */
  subjects(claims: Record<string, unknown>): string[];
}

const GITHUB = "https://token.actions.githubusercontent.com";
const GITLAB = "https://gitlab.com";
const AZURE_DEVOPS = "https://vstoken.dev.azure.com";
const ENTRA = "https://login.microsoftonline.com";

const COMMON = ["iss", "sub", "aud"];

const ok = () => undefined;
const sub = (claims: Record<string, unknown>) => [String(claims.sub ?? "")];

/**
 * What the preset knows, with the caller's issuer overrides applied: `issuers` (or `issuer`) replace
 * the preset's and are compared with `iss` exactly, as OIDC says; only URLs built from them are trimmed.
 */
export function resolveIssuer(c: OidcCallerConfig): ResolvedIssuer {
  const preset = presetIssuer(c);
  const configured = c.issuers ?? (c.issuer ? [c.issuer] : undefined);
  return configured ? { ...preset, issuers: configured } : preset;
}

function presetIssuer(c: OidcCallerConfig): ResolvedIssuer {
  const audiences = c.audience === undefined ? [] : Array.isArray(c.audience) ? c.audience : [c.audience];
  const trim = (url: string) => url.replace(/\/+$/, "");
  const base = (fallback: string) => trim(c.issuers?.[0] ?? c.issuer ?? fallback);
  switch (c.preset) {
    case "github-actions": {
      const issuer = base(GITHUB);
      return {
        issuers: [issuer],
        jwksUrl: c.jwksUrl ?? `${issuer}/.well-known/jwks`,
        audiences,
        pinned: {},
        claims: [
          ...COMMON,
          ...["repository", "repository_id", "repository_owner", "repository_owner_id", "ref", "ref_type"],
          ...["environment", "workflow_ref", "job_workflow_ref", "event_name", "actor", "run_id", "sha"],
        ],
        check: checkGithubSubject,
        subjects: githubSubjects,
      };
    }
    case "gitlab-ci": {
      const issuer = base(GITLAB);
      return {
        issuers: [issuer],
        jwksUrl: c.jwksUrl ?? `${issuer}/oauth/discovery/keys`,
        audiences,
        pinned: {},
        claims: [
          ...COMMON,
          ...["project_path", "project_id", "namespace_path", "namespace_id", "ref", "ref_type"],
          ...["ref_protected", "environment", "environment_protected", "pipeline_source", "user_login"],
          ...["pipeline_id", "job_id"],
        ],
        check: ok,
        subjects: sub,
      };
    }
    case "azure-devops": {
      const org = (c.organizationId as string).toLowerCase();
      return {
        // The JWKS is shared by every organization, so only the issuer (and org_id) tell them apart.
        issuers: [`${AZURE_DEVOPS}/${org}`],
        jwksUrl: c.jwksUrl ?? `${AZURE_DEVOPS}/.well-known/jwks`,
        audiences: audiences.length > 0 ? audiences : ["api://AzureADTokenExchange"],
        pinned: { org_id: org },
        claims: [
          ...COMMON,
          "org_id",
          "prj_id",
          "def_id",
          "rpo_id",
          "rpo_uri",
          "rpo_ref",
          "rpo_ver",
          "run_id",
        ],
        check: ok,
        subjects: sub,
      };
    }
    case "entra": {
      const tenant = (c.tenantId as string).toLowerCase();
      return {
        // Managed identities get v1 or v2 tokens depending on the target app; both are the tenant's.
        issuers: [`${ENTRA}/${tenant}/v2.0`, `https://sts.windows.net/${tenant}/`],
        jwksUrl: c.jwksUrl ?? `${ENTRA}/${tenant}/discovery/v2.0/keys`,
        audiences,
        pinned: { tid: tenant },
        claims: [...COMMON, "tid", "oid", "appid", "azp", "roles", "idtyp", "ver"],
        check: ok,
        subjects: (claims) => [`entra:${String(claims.tid)}/${String(claims.oid ?? claims.sub)}`],
      };
    }
    case "custom":
      return {
        // Stryker disable next-line ArrayDeclaration: preset custom requires issuer or issuers, which replace these
        issuers: [],
        jwksUrl: c.jwksUrl as string,
        audiences,
        pinned: {},
        claims: undefined,
        check: ok,
        subjects: sub,
      };
  }
}

// `repo:OWNER@OWNER_ID/REPO@REPO_ID:context` (immutable) or `repo:OWNER/REPO:context` (classic).
const GITHUB_SUBJECT = /^repo:([^/@:]+)(?:@(\d+))?\/([^/@:]+)(?:@(\d+))?:(.+)$/s;

/** The immutable subject's ids must agree with the token's id claims, or the token is inconsistent. */
function checkGithubSubject(claims: Record<string, unknown>): string | undefined {
  const m = GITHUB_SUBJECT.exec(String(claims.sub ?? ""));
  if (!m) return undefined;
  const [, , ownerId, , repoId] = m;
  if (ownerId !== undefined && ownerId !== String(claims.repository_owner_id)) {
    return "the token's subject names another repository owner id than its 'repository_owner_id'";
  }
  if (repoId !== undefined && repoId !== String(claims.repository_id)) {
    return "the token's subject names another repository id than its 'repository_id'";
  }
  return undefined;
}

/** The classic form first (the caller's subject), then the token's own when it is the immutable form. */
function githubSubjects(claims: Record<string, unknown>): string[] {
  const raw = String(claims.sub ?? "");
  const m = GITHUB_SUBJECT.exec(raw);
  if (!m) return [raw];
  const classic = `repo:${m[1]}/${m[3]}:${m[5]}`;
  return classic === raw ? [raw] : [classic, raw];
}
