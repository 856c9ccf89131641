import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Secret } from "../../src/config/secret.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import { redactText } from "../../src/telemetry/redact.ts";

const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _e, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger("info", sink), lines };
}

describe("redaction", () => {
  it("masks tokens, signatures, webhook secrets and connection strings wherever they appear in text", () => {
    const text = [
      `Bearer ${JWT}`,
      `token ${JWT}`,
      "sha256=0123456789abcdef0123456789abcdef",
      "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint=https://x",
      "https://acct.blob.core.windows.net/c?sv=1&sig=abcDEF%2B123",
    ].join(" | ");
    const out = redactText(text);
    for (const secret of [
      JWT,
      "0123456789abcdef0123456789abcdef",
      "K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN",
      "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "11111111-2222",
      "abcDEF",
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain("IngestionEndpoint=https://x");
  });

  it("writes no credential into a log line, by field name or by value, and keeps the rest", () => {
    const { logger, lines } = capture();
    logger.info(
      {
        requestId: "r-1",
        headers: {
          authorization: "Bearer opaque-api-key",
          "x-api-key": "k-123",
          "x-hub-signature-256": "sha256=ab",
        },
        request: { headers: { cookie: "session=1" } },
        connectionString: new Secret("AI", "InstrumentationKey=abc"),
        detail: `the upstream said: invalid token ${JWT}`,
      },
      "request",
    );
    logger.error({ err: new Error(`refused Bearer ${JWT}`) }, "failed");
    const text = JSON.stringify(lines);
    for (const secret of ["opaque-api-key", "k-123", "sha256=ab", "session=1", "abc", JWT]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({ requestId: "r-1", msg: "request" });
    expect(lines[1]?.err).toMatchObject({ type: "Error" });
  });
});
