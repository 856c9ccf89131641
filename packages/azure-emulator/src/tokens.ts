// Signs IMDS access tokens and verifies them at the ARM front door, with one RS256 key per emulator.
import { randomUUID } from "node:crypto";
import { errors, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import type { EmulatedIdentity } from "./types.ts";

export const ARM_AUDIENCES = [
  "https://management.azure.com/",
  "https://management.azure.com",
  "https://management.core.windows.net/",
  "https://management.core.windows.net",
];

export interface TokenClaims {
  aud: string;
  oid: string;
  appid: string;
  tid: string;
  exp: number;
}

export type VerifyResult =
  | { ok: true; claims: TokenClaims }
  | { ok: false; code: string; message: string; description: string };

export interface TokenAuthority {
  issue(identity: EmulatedIdentity, resource: string): Promise<{ token: string; iat: number; exp: number }>;
  /** Checks the signature, issuer and lifetime, and that the audience is one of `audiences` (ARM's by default). */
  verify(token: string, audiences?: readonly string[]): Promise<VerifyResult>;
}

export async function createTokenAuthority(
  tenantId: string,
  lifetimeSeconds: number,
): Promise<TokenAuthority> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const kid = (await exportJWK(publicKey)).n?.slice(0, 16) ?? "emulator";
  const issuer = `https://sts.windows.net/${tenantId}/`;

  async function issue(identity: EmulatedIdentity, resource: string) {
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + lifetimeSeconds;
    const token = await new SignJWT({
      tid: tenantId,
      oid: identity.principalId,
      appid: identity.clientId,
      azp: identity.clientId,
      appidacr: "2",
      idtyp: "app",
      xms_mirid: identity.resourceId ?? `/subscriptions/emulated/managedIdentity/${identity.principalId}`,
      uti: randomUUID(),
      ver: "1.0",
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid })
      .setAudience(resource)
      .setIssuer(issuer)
      .setSubject(identity.principalId)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .sign(privateKey);
    return { token, iat, exp };
  }

  async function verify(token: string, audiences: readonly string[] = ARM_AUDIENCES): Promise<VerifyResult> {
    try {
      const { payload } = await jwtVerify(token, publicKey, { issuer, clockTolerance: 0 });
      const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
      if (!aud || !audiences.includes(aud)) {
        return {
          ok: false,
          code: "InvalidAuthenticationTokenAudience",
          message: `The access token has been obtained for wrong audience or resource '${aud ?? ""}'. It should exactly match with one of the allowed audiences ${audiences.map((a) => `'${a}'`).join(",")}.`,
          description: "The access token has been obtained for wrong audience or resource.",
        };
      }
      return {
        ok: true,
        claims: {
          aud,
          oid: String(payload.oid ?? ""),
          appid: String(payload.appid ?? ""),
          tid: String(payload.tid ?? ""),
          exp: payload.exp ?? 0,
        },
      };
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        const exp = Number((error.payload as { exp?: number }).exp ?? 0);
        return {
          ok: false,
          code: "ExpiredAuthenticationToken",
          message: `The access token expiry UTC time '${new Date(exp * 1000).toUTCString()}' is earlier than current UTC time '${new Date().toUTCString()}'.`,
          description: "The access token expiry UTC time is earlier than current UTC time.",
        };
      }
      return {
        ok: false,
        code: "InvalidAuthenticationToken",
        message: "The access token is invalid.",
        description: "The access token is invalid.",
      };
    }
  }

  return { issue, verify };
}
