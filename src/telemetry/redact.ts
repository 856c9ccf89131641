// Content-based redaction, the second line behind key-based redaction: whatever field a credential
// ends up in (an error message, a header echoed by a library), its recognisable shapes are masked.

const CENSOR = "[redacted]";

/** Fields whose value is a credential whatever it looks like, at any depth (compared lowercased). */
const SENSITIVE_KEYS = new Set(
  [
    "authorization",
    "cookie",
    "x-hub-signature-256",
    "x-hub-signature",
    "webhook-signature",
    "aeg-sas-key",
    "x-api-key",
    "access_token",
    "accessToken",
    "token",
    "secret",
    "secrets",
    "apiKey",
    "key",
    "password",
    "clientSecret",
    "signature",
    "connectionString",
  ].map((k) => k.toLowerCase()),
);

const PATTERNS: readonly [RegExp, string][] = [
  // JWTs (OIDC tokens, managed identity access tokens): three base64url parts, the first a JSON header.
  [/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, CENSOR],
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, `$1 ${CENSOR}`],
  // Webhook signatures: GitHub's `sha256=<hex>`, Standard Webhooks' `v1,<base64>`, and their secrets.
  [/\bsha(1|256)=[0-9a-f]{16,}/gi, `sha$1=${CENSOR}`],
  [/\bv1,[A-Za-z0-9+/=]{16,}/g, `v1,${CENSOR}`],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, CENSOR],
  // Connection strings and SAS tokens.
  [
    /\b(InstrumentationKey|AccountKey|SharedAccessKey|SharedAccessSignature|sig)=[^;&"'\s]+/gi,
    `$1=${CENSOR}`,
  ],
];

/**
 * Matches every string that any pattern above could match (and more): most strings of a log line
 * (ids, paths, decisions) fail this one test and skip the six replacements.
 */
const MAYBE_SECRET = /eyJ|v1,|whsec_|bearer|basic|sha1=|sha256=|key=|signature=|sig=/i;

export function redactText(text: string): string {
  // Stryker disable next-line ConditionalExpression: a fast path; every pattern matches only text this test passes
  if (!MAYBE_SECRET.test(text)) return text;
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Masks sensitive fields by name and credential shapes in every string of a plain JSON-like value.
 * The value is never changed: what needs masking is copied. A plain object or array with nothing to
 * mask is returned as it is (most log lines: no copy); any other object is always copied to its own
 * enumerable fields, so its toJSON (an SDK's headers object, say) never writes what was not checked.
 */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const masked = redactDeep(v, depth + 1);
      if (masked === v) return;
      out ??= [...value];
      out[i] = masked;
    });
    return out ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  let out: Record<string, unknown> | undefined =
    proto === Object.prototype || proto === null ? undefined : {};
  for (const [k, v] of Object.entries(value)) {
    const masked =
      SENSITIVE_KEYS.has(k.toLowerCase()) && v !== undefined && v !== null
        ? CENSOR
        : redactDeep(v, depth + 1);
    if (!out && masked === v) continue;
    out ??= { ...(value as Record<string, unknown>) };
    out[k] = masked;
  }
  return out ?? value;
}
