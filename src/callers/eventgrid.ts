// Event Grid deliveries: the Entra ID token Event Grid obtains for the webhook's app, and/or a secret
// in the query string or a header, either or both required.
import type { EventGridCallerConfig } from "../config/schema.ts";
import { digestOfSecret, matchSecret } from "../kernel/secret.ts";
import type { CallerRequest, CallerVerifier, Verification } from "./caller.ts";
import { bearerJwt } from "./credentials.ts";
import { type JwtPolicy, type KeySets, verifyJwt } from "./jwt.ts";

const ENTRA = "https://login.microsoftonline.com";

/** Claims of Event Grid's token that say who delivered; copied into `Caller.claims`. */
const KEPT_CLAIMS = ["iss", "aud", "tid", "oid", "appid", "azp", "roles", "ver", "idtyp"];

type Check =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; reason: string; transient?: boolean };

interface Credential {
  name: string;
  presented(request: CallerRequest): boolean;
  verify(request: CallerRequest): Promise<Check>;
}

function entraCredential(entra: NonNullable<EventGridCallerConfig["entra"]>, keySets: KeySets): Credential {
  const tenant = entra.tenantId.toLowerCase();
  const policy: JwtPolicy = {
    // Event Grid's tokens are v1 today; an app that asks for v2 tokens gets the v2 issuer.
    issuers: entra.issuers ?? [`https://sts.windows.net/${tenant}/`, `${ENTRA}/${tenant}/v2.0`],
    audiences: Array.isArray(entra.audience) ? entra.audience : [entra.audience],
    algorithms: entra.algorithms,
    clockSkewSeconds: entra.clockSkewSeconds,
  };
  const jwksUrl = entra.jwksUrl ?? `${ENTRA}/${tenant}/discovery/v2.0/keys`;
  const appIds = new Set(
    (Array.isArray(entra.appId) ? entra.appId : [entra.appId]).map((a) => a.toLowerCase()),
  );
  return {
    name: "an Entra ID bearer token",
    presented: ({ headers }) => bearerJwt(headers) !== undefined,
    async verify({ headers }) {
      // Stryker disable next-line StringLiteral: verify runs only when a token is presented
      const verified = await verifyJwt(bearerJwt(headers) ?? "", keySets.get(jwksUrl), policy);
      if (!verified.ok) return verified;
      const claims = verified.claims as Record<string, unknown>;
      // Stryker disable next-line StringLiteral: a token without tid is refused whatever stands in for it
      if (String(claims.tid ?? "").toLowerCase() !== tenant) {
        return { ok: false, reason: "the token's 'tid' claim is not accepted" };
      }
      // v1 tokens name the client in `appid`, v2 tokens in `azp`.
      // Stryker disable next-line StringLiteral: a token without appid or azp is refused whatever stands in for it
      const client = String(claims.appid ?? claims.azp ?? "").toLowerCase();
      if (!appIds.has(client))
        return { ok: false, reason: "the token was not issued to Event Grid ('appid')" };
      // Stryker disable next-line ArrayDeclaration: a filler role is no role the config can require
      const roles = Array.isArray(claims.roles) ? claims.roles : [];
      if (entra.role !== undefined && !roles.includes(entra.role)) {
        return { ok: false, reason: "the token lacks the role the source requires" };
      }
      return {
        ok: true,
        claims: Object.fromEntries(KEPT_CLAIMS.flatMap((k) => (k in claims ? [[k, claims[k]]] : []))),
      };
    },
  };
}

function secretCredential(secret: NonNullable<EventGridCallerConfig["secret"]>): Credential {
  // Per request: a Key Vault secret may have been rotated since the last one.
  const digests = () => secret.values.flatMap((s) => s.candidates()).map(digestOfSecret);
  const value = ({ url, headers }: CallerRequest) =>
    secret.query !== undefined
      ? (new URL(url).searchParams.get(secret.query) ?? undefined)
      : (headers.get(secret.header as string) ?? undefined);
  return {
    name: "the delivery secret",
    presented: (request) => value(request) !== undefined,
    async verify(request) {
      // Every value is compared, so timing does not tell which one (if any) matched.
      // Stryker disable next-line StringLiteral: verify runs only when the secret is presented
      const match = matchSecret(value(request) ?? "", digests());
      if (match < 0) return { ok: false, reason: "the delivery secret is not valid" };
      // Which value matched (1-based: the configured values in order, a Key Vault secret's current
      // version before its previous one); it reveals nothing about the value.
      return { ok: true, claims: { secret: String(match + 1) } };
    },
  };
}

export function eventGridVerifier(config: EventGridCallerConfig, keySets: KeySets): CallerVerifier {
  const credentials = [
    ...(config.entra ? [{ kind: "entra", check: entraCredential(config.entra, keySets) }] : []),
    ...(config.secret ? [{ kind: "secret", check: secretCredential(config.secret) }] : []),
  ];
  const requireAll = config.require === "all";
  return {
    id: config.id,
    kind: "eventgrid",
    presents: (request) => credentials.some((c) => c.check.presented(request)),
    async verify(request): Promise<Verification> {
      let claims: Record<string, unknown> = {};
      const used: string[] = [];
      for (const { kind, check } of credentials) {
        if (!check.presented(request)) {
          if (requireAll) return { ok: false, reason: `missing ${check.name}` };
          continue;
        }
        // A credential that is sent must be right, even when another one would do.
        const result = await check.verify(request);
        if (!result.ok) return result;
        claims = { ...claims, ...result.claims };
        used.push(kind);
      }
      const tid = claims.tid;
      const principal = claims.oid ?? claims.appid ?? claims.azp;
      return {
        ok: true,
        deliveryId: undefined,
        caller: {
          id: config.id,
          kind: "eventgrid",
          subject:
            principal !== undefined ? `entra:${String(tid)}/${String(principal)}` : `eventgrid:${config.id}`,
          claims: { ...claims, credentials: used },
        },
      };
    },
  };
}
