// Where a request carries a bearer credential, and telling a JWT from an opaque key.

/** The token of `Authorization: Bearer <token>`, or undefined when there is none (`Headers` trims values). */
export function bearerToken(headers: Headers): string | undefined {
  // Stryker disable next-line StringLiteral: no header and any text that is not a bearer credential both give no token
  const match = /^Bearer +(\S+)$/i.exec(headers.get("authorization") ?? "");
  return match?.[1];
}

/** The bearer token when it is a JWT (OIDC, Entra ID), else undefined (an API key, or none). */
export function bearerJwt(headers: Headers): string | undefined {
  // Stryker disable next-line StringLiteral: no token at all is no JWT either
  const token = bearerToken(headers) ?? "";
  return looksLikeJwt(token) ? token : undefined;
}

/** Three base64url parts: a compact JWS. API keys never have this shape (see README). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
