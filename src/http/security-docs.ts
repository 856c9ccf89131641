// How callers and operators prove who they are, as OpenAPI security schemes, and which endpoints take which.
import type { OpenAPIHono } from "@hono/zod-openapi";

const schemes = {
  oidcToken: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "An OIDC token of a configured `oidc` caller (GitHub Actions, GitLab CI, Azure DevOps, Entra ID), or the Entra ID token Event Grid sends for an `eventgrid` caller; checked against its issuer's keys, audience and claims.",
  },
  apiKey: {
    type: "http",
    scheme: "bearer",
    description:
      "An API key of a configured `api-key` caller (`Authorization: Bearer <key>`); armbridge holds only its SHA-256.",
  },
  apiKeyHeader: {
    type: "apiKey",
    in: "header",
    name: "X-Api-Key",
    description: "The same API key in `X-Api-Key`.",
  },
  githubSignature: {
    type: "apiKey",
    in: "header",
    name: "X-Hub-Signature-256",
    description:
      "A `github-webhook` caller: `sha256=<hex HMAC-SHA256 of the raw body>` with the hook's secret; `X-GitHub-Event` names the event.",
  },
  standardWebhookSignature: {
    type: "apiKey",
    in: "header",
    name: "webhook-signature",
    description:
      "A `standard-webhook` caller (Standard Webhooks): `v1,<base64 HMAC-SHA256 of {webhook-id}.{webhook-timestamp}.{raw body}>`, with the `webhook-id` and `webhook-timestamp` headers.",
  },
  eventsSecretQuery: {
    type: "apiKey",
    in: "query",
    name: "code",
    description:
      "An `eventgrid` caller's delivery secret in the endpoint URL; the parameter is the caller's `secret.query` (`code` here as an example).",
  },
  eventsSecretHeader: {
    type: "apiKey",
    in: "header",
    name: "X-Delivery-Secret",
    description:
      "An `eventgrid` caller's delivery secret as an Event Grid delivery attribute; the header is the caller's `secret.header`.",
  },
  operatorKey: {
    type: "http",
    scheme: "bearer",
    description:
      "An operator API key (`Authorization: Bearer <key>`); its hex SHA-256 is in the config's `operators[]`.",
  },
} as const;

type SchemeName = keyof typeof schemes;
const anyOf = (...names: SchemeName[]) => names.map((name) => ({ [name]: [] }));

/** Every caller kind: a request is matched to one of the callers the entry point allows by its credential. */
export const CALLER_SECURITY = anyOf(
  "oidcToken",
  "apiKey",
  "apiKeyHeader",
  "githubSignature",
  "standardWebhookSignature",
);

/** An event source's callers: any kind, and Event Grid's delivery secrets (with `mode: all`, token and secret). */
export const EVENTS_SECURITY = [
  ...CALLER_SECURITY,
  ...anyOf("eventsSecretQuery", "eventsSecretHeader"),
  { oidcToken: [], eventsSecretQuery: [] },
  { oidcToken: [], eventsSecretHeader: [] },
];

export const OPERATOR_SECURITY = anyOf("operatorKey");

/** An endpoint that anyone may call (health, the contract, job status by its unguessable id). */
export const NO_SECURITY: Record<string, string[]>[] = [];

export function registerSecuritySchemes(registry: OpenAPIHono["openAPIRegistry"]): void {
  for (const [name, scheme] of Object.entries(schemes))
    registry.registerComponent("securitySchemes", name, scheme);
}
