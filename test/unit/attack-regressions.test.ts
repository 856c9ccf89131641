// Attacks that small code changes would let through: each test here failed against a hand-made
// mutation of the check it guards (issue 20), so a refactor that opens the door again is caught.
import { createHmac } from "node:crypto";
import { Writable } from "node:stream";
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyGithubSignature } from "../../src/callers/github-webhook.ts";
import { verifyJwt } from "../../src/callers/jwt.ts";
import { Secret } from "../../src/config/secret.ts";
import { checkScopePattern, parseScope, scopeMatches } from "../../src/kernel/arm-scope.ts";
import { constantTimeEqual } from "../../src/kernel/secret.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import { redactText } from "../../src/telemetry/redact.ts";

const SUB = "00000000-0000-0000-0000-000000000001";
const GROUPS = `/subscriptions/${SUB}/resourceGroups`;

describe("a GitHub signature is compared over the whole HMAC", () => {
  const body = new TextEncoder().encode('{"ref":"refs/heads/main"}');
  const secrets = [new Secret("HOOK", "s3cret")];
  const hmac = createHmac("sha256", "s3cret").update(body).digest("hex");

  it("accepts the full signature", () => {
    expect(verifyGithubSignature(body, `sha256=${hmac}`, secrets)).toBe(true);
  });

  it("refuses every one-byte signature, so none can be found in 256 tries", () => {
    for (let byte = 0; byte < 256; byte++) {
      const header = `sha256=${byte.toString(16).padStart(2, "0")}`;
      expect(verifyGithubSignature(body, header, secrets), header).toBe(false);
    }
  });

  it("refuses the right HMAC cut short or followed by more bytes", () => {
    for (const hex of [
      hmac.slice(0, 2),
      hmac.slice(0, 32),
      hmac.slice(0, 62),
      `${hmac}00`,
      `${hmac}${hmac}`,
    ]) {
      expect(verifyGithubSignature(body, `sha256=${hex}`, secrets), hex.length.toString()).toBe(false);
    }
  });

  it("treats byte strings of different lengths as unequal, even when one is a prefix of the other", () => {
    const digest = Buffer.from(hmac, "hex");
    expect(constantTimeEqual(digest, digest.subarray(0, 1))).toBe(false);
    expect(constantTimeEqual(digest.subarray(0, 1), digest)).toBe(false);
    expect(constantTimeEqual(digest, new Uint8Array(0))).toBe(false);
    expect(constantTimeEqual(digest, Buffer.from(digest))).toBe(true);
  });
});

describe("scope parsing refuses dot segments by two independent checks", () => {
  const reasonOf = (input: string) => {
    const parsed = parseScope(input);
    return parsed.ok ? "accepted" : parsed.reason;
  };

  // The explicit check: its own reason, so removing it shows even though the segment rule would refuse too.
  it.each([
    [`${GROUPS}/app-1/..`],
    [`${GROUPS}/app-1/../other`],
    [`${GROUPS}/./app-1`],
    [`/subscriptions/${SUB}/../${SUB}`],
  ])("refuses %s as a dot segment", (input) => {
    expect(reasonOf(input)).toBe("scope must not contain '.' or '..'");
  });

  // The segment rule: dot-prefixed names that are not `.` or `..` reach it alone.
  it.each([".hidden", "..app-1", "...", ".-", "_x", "-x", "(x)"])(
    "refuses a segment that does not start with a letter or digit: %s",
    (segment) => {
      expect(reasonOf(`${GROUPS}/${segment}`)).toBe(
        `scope segment '${segment}' has characters ARM ids do not use`,
      );
    },
  );

  it("refuses a structurally valid id that climbs out of a granted group", () => {
    // Type/name pairs line up, so only the dot checks stand between this id and an `app-*` grant.
    const climbing = `${GROUPS}/app-1/providers/Microsoft.Web/sites/x/../../../../resourceGroups/prod`;
    expect(reasonOf(climbing)).toBe("scope must not contain '.' or '..'");
    const hidden = `${GROUPS}/app-1/providers/Microsoft.Web/sites/.x/..y/z/resourceGroups/prod`;
    expect(reasonOf(hidden)).toBe("scope segment '.x' has characters ARM ids do not use");
  });

  it("refuses dot segments in grant patterns, and keeps names with inner dots", () => {
    expect(checkScopePattern(`${GROUPS}/app-*/../prod`)).toContain("'..'");
    expect(checkScopePattern(`${GROUPS}/.app-*`)).toBe("segment '.app-x' has characters ARM ids do not use");
    expect(checkScopePattern(`${GROUPS}/app.v2-*`)).toBeUndefined();
    const dotted = parseScope(`${GROUPS}/app.v2.1`);
    expect(dotted.ok && scopeMatches(`${GROUPS}/app.v2*`, dotted.scope)).toBe(true);
  });
});

describe("a JWT must say when it expires", () => {
  const ISSUER = "https://issuer.example";
  const policy = {
    issuers: [ISSUER],
    audiences: ["api://armbridge"],
    algorithms: ["RS256"],
    clockSkewSeconds: 30,
  };
  let keys: ReturnType<typeof createLocalJWKSet>;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
  beforeAll(async () => {
    const pair = await generateKeyPair("RS256", { extractable: true });
    privateKey = pair.privateKey;
    keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256" }] });
  });
  const sign = (times: { iat?: number; exp?: number }) => {
    const jwt = new SignJWT({ sub: "x" })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(ISSUER)
      .setAudience("api://armbridge");
    if (times.iat !== undefined) jwt.setIssuedAt(times.iat);
    if (times.exp !== undefined) jwt.setExpirationTime(times.exp);
    return jwt.sign(privateKey);
  };
  const now = Math.floor(Date.now() / 1000);

  it("accepts a token with iat and exp", async () => {
    expect(await verifyJwt(await sign({ iat: now, exp: now + 300 }), keys, policy)).toMatchObject({
      ok: true,
    });
  });

  it("refuses a token without exp (it would never expire)", async () => {
    expect(await verifyJwt(await sign({ iat: now }), keys, policy)).toEqual({
      ok: false,
      reason: "the token has no 'exp' claim",
      transient: false,
    });
  });

  it("refuses a token without iat", async () => {
    expect(await verifyJwt(await sign({ exp: now + 300 }), keys, policy)).toMatchObject({
      ok: false,
      reason: "the token has no 'iat' claim",
    });
  });
});

describe("opaque credentials in free text are masked", () => {
  // Neither a JWT nor a known field name: only the shape `Bearer <token>` / `Basic <token>` gives them away.
  const OPAQUE = "ak_live_3f9c2b7e1d4a8f6c";
  const BASIC = Buffer.from("deploy:hunter2").toString("base64");

  it("masks the token after Bearer and Basic, in any case, and keeps the scheme", () => {
    const out = redactText(
      `upstream refused Bearer ${OPAQUE}; retry with basic ${BASIC}, "BEARER ${OPAQUE}"`,
    );
    expect(out).toBe('upstream refused Bearer [redacted]; retry with basic [redacted], "BEARER [redacted]"');
  });

  it("masks them in a log line's message, its format arguments and an error's message", () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _e, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const logger = createLogger("info", sink);
    logger.warn(`library says: Authorization: Bearer ${OPAQUE}`);
    logger.info({ requestId: "r-1" }, "sent %s", `Basic ${BASIC}`);
    logger.error(new Error(`refused Bearer ${OPAQUE}`));
    expect(lines.map((l) => l.msg)).toEqual([
      "library says: Authorization: Bearer [redacted]",
      "sent Basic [redacted]",
      "refused Bearer [redacted]",
    ]);
    expect(JSON.stringify(lines)).not.toMatch(new RegExp(`${OPAQUE}|${BASIC}`));
    expect(lines[1]).toMatchObject({ requestId: "r-1" });
  });
});
