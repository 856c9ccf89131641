// The config of callers: who may call armbridge and how each one proves it, one schema per kind.
import { z } from "zod";
import { SECRET_HASH } from "../kernel/secret.ts";
import type { SecretRefFactory } from "./secret-ref.ts";

export const callerId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "must be lowercase letters, digits, '.', '_' or '-' (max 63)");

/** Asymmetric JWS algorithms only: `none` and HMAC (HS*) would let anyone holding the public key sign. */
export const JWT_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

export const OIDC_PRESETS = ["github-actions", "gitlab-ci", "azure-devops", "entra", "custom"] as const;

const rateLimitSchema = z.strictObject({
  perSecond: z.number().positive().max(100_000),
  burst: z.number().int().min(1).max(100_000),
});

/** JWKS over https, or plain http to a loopback address (local issuers and tests only). */
const jwksUrl = z.url().refine((u) => {
  const url = new URL(u);
  return (
    url.protocol === "https:" ||
    (url.protocol === "http:" && ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname))
  );
}, "must be an https URL (plain http only to 127.0.0.1, [::1] or localhost)");

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/**
 * A claim condition: a value (equality), a list of values (any of them), or `{ glob }` where `*`
 * matches within one `/`-separated part and `**` across parts (`refs/heads/release/*`).
 */
export const claimCondition = z.union([
  scalar,
  z.array(scalar).min(1),
  z.strictObject({ glob: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]) }),
]);
export type ClaimCondition = z.output<typeof claimCondition>;

/** Claims that identify a caller by an id that is never renamed or reused, per preset. */
export const PINNING_CLAIMS: Record<(typeof OIDC_PRESETS)[number], readonly string[]> = {
  "github-actions": ["repository_id", "repository_owner_id"],
  "gitlab-ci": ["project_id", "namespace_id"],
  "azure-devops": [],
  entra: ["oid", "azp", "appid"],
  custom: [],
};

/** Event Grid's first-party application in the public cloud: the `appid`/`azp` of its delivery tokens. */
export const EVENT_GRID_APP_ID = "4962773b-9cdb-44cf-a8bf-237846a00ab7";

export function createCallerSchema(secretRef: SecretRefFactory) {
  const base = { id: callerId, rateLimit: rateLimitSchema.optional() };

  const githubWebhook = z.strictObject({
    ...base,
    kind: z.literal("github-webhook"),
    /** Several secrets may be active at once so they can be rotated without downtime. */
    secrets: z.array(secretRef()).min(1),
  });

  const standardWebhook = z.strictObject({
    ...base,
    kind: z.literal("standard-webhook"),
    /** `whsec_<base64>` secrets (the Standard Webhooks format); several for rotation. */
    secrets: z
      .array(
        secretRef((value) =>
          decodeStandardWebhookSecret(value) === undefined
            ? "must be 'whsec_' followed by base64"
            : undefined,
        ),
      )
      .min(1),
    /** How far `webhook-timestamp` may be from now; also how long a delivery is remembered as seen. */
    toleranceSeconds: z.number().int().min(1).max(3600).default(300),
  });

  const apiKey = z.strictObject({
    ...base,
    kind: z.literal("api-key"),
    /** Only hashes are configured: `sha256:<hex of SHA-256 of the key>`. Several for rotation. */
    keys: z
      .array(
        z.strictObject({
          hash: z
            .string()
            .transform((s) => s.toLowerCase())
            .pipe(z.string().regex(SECRET_HASH, "must be 'sha256:' followed by 64 hex digits")),
          expiresAt: z.iso.datetime({ offset: true }).optional(),
        }),
      )
      .min(1),
  });

  const oidc = z
    .strictObject({
      ...base,
      kind: z.literal("oidc"),
      preset: z.enum(OIDC_PRESETS),
      /**
       * Overrides the preset's issuer (GitHub Enterprise, self-managed GitLab, another cloud's Entra);
       * compared with the token's `iss` exactly, trailing `/` included. `custom` needs it or `issuers`.
       */
      issuer: z.url({ protocol: /^https$/ }).optional(),
      /** Several accepted issuers instead of one (an Entra tenant's v1 and v2 issuers in another cloud). */
      issuers: z
        .array(z.url({ protocol: /^https$/ }))
        .min(1)
        .optional(),
      /** The `aud` the token must carry; defaults only for `azure-devops` (`api://AzureADTokenExchange`). */
      audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
      jwksUrl: jwksUrl.optional(),
      algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(["RS256"]),
      clockSkewSeconds: z.number().int().min(0).max(300).default(60),
      /**
       * The longest token lifetime accepted (`exp` - `iat`), and the oldest token (now - `iat`): a
       * day-long Entra token that leaked is refused once it is older than this.
       */
      maxTokenLifetimeSeconds: z.number().int().min(60).max(86_400).optional(),
      /** `azure-devops`: the organization id (GUID) the issuer is pinned to. */
      organizationId: z.guid().optional(),
      /** `entra`: the tenant id (GUID) the issuer is pinned to. */
      tenantId: z.guid().optional(),
      conditions: z
        .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]*$/, "must be a claim name"), claimCondition)
        .default({}),
    })
    .superRefine((c, ctx) => {
      const issue = (path: string, message: string) =>
        ctx.addIssue({ code: "custom", path: [path], message });
      if (c.issuer && c.issuers) issue("issuers", "set issuer or issuers, not both");
      if (c.preset === "custom" && !c.issuer && !c.issuers) issue("issuer", "required for preset 'custom'");
      if (c.preset === "custom" && !c.jwksUrl) issue("jwksUrl", "required for preset 'custom'");
      if (c.preset === "azure-devops" && !c.organizationId)
        issue(
          "organizationId",
          "required for preset 'azure-devops' (its JWKS is shared by all organizations)",
        );
      if (c.preset === "entra" && !c.tenantId) issue("tenantId", "required for preset 'entra'");
      if (c.preset !== "azure-devops" && c.audience === undefined) issue("audience", "required");
      const pins = PINNING_CLAIMS[c.preset];
      if (pins.length > 0 && !pins.some((claim) => claim in c.conditions)) {
        // Names can be renamed and re-registered by someone else; ids cannot.
        issue("conditions", `must pin the caller by id: add a condition on ${pins.join(" or ")}`);
      }
    });

  return z.discriminatedUnion("kind", [
    githubWebhook,
    standardWebhook,
    apiKey,
    oidc,
    eventGridSchema(secretRef),
  ]);
}

/** The key bytes of a Standard Webhooks secret (`whsec_<base64>`), or undefined when malformed. */
export function decodeStandardWebhookSecret(secret: string): Buffer | undefined {
  const b64 = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  const key = Buffer.from(b64, "base64");
  return key.length > 0 ? key : undefined;
}

/**
 * Event Grid deliveries: an Entra ID token Event Grid obtains for the webhook's app, and/or a secret
 * in the query string or a header (the subscription's endpoint URL or delivery attribute carries it).
 */
function eventGridSchema(secretRef: SecretRefFactory) {
  const guidList = z.union([z.guid(), z.array(z.guid()).min(1)]);
  const entra = z.strictObject({
    tenantId: z.guid(),
    /** The webhook app's client id or App ID URI: what the subscription's `azureActiveDirectoryApplicationIdOrUri` names. */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** `appid` (v1) or `azp` (v2) of the token: Event Grid's first-party app, another one in other clouds. */
    appId: guidList.default(EVENT_GRID_APP_ID),
    /** An app role the token must carry, e.g. `AzureEventGridSecureWebhookSubscriber`. */
    role: z.string().min(1).optional(),
    /** Accepted issuers; by default the tenant's v1 and v2 issuers in the public cloud. */
    issuers: z
      .array(z.url({ protocol: /^https$/ }))
      .min(1)
      .optional(),
    jwksUrl: jwksUrl.optional(),
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(["RS256"]),
    clockSkewSeconds: z.number().int().min(0).max(300).default(60),
  });
  const secret = z
    .strictObject({
      /** The query parameter that carries it (`https://host/events/azure?code=...`). */
      query: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be a query parameter name")
        .optional(),
      /** Or the header that carries it (an Event Grid delivery attribute). */
      header: z
        .string()
        .regex(/^[A-Za-z0-9-]{1,64}$/, "must be a header name")
        .transform((h) => h.toLowerCase())
        .optional(),
      /** One value, or two while it is rotated. */
      values: z
        .array(secretRef((value) => (value.length < 16 ? "must be at least 16 characters" : undefined)))
        .min(1)
        .max(2),
    })
    .refine((s) => (s.query === undefined) !== (s.header === undefined), "set exactly one of query, header");
  return z
    .strictObject({
      id: callerId,
      rateLimit: rateLimitSchema.optional(),
      kind: z.literal("eventgrid"),
      entra: entra.optional(),
      secret: secret.optional(),
      /** With both `entra` and `secret`: whether a delivery needs both (`all`) or one of them (`any`). */
      require: z.enum(["all", "any"]).default("all"),
    })
    .refine((c) => c.entra !== undefined || c.secret !== undefined, "set entra, secret or both");
}
