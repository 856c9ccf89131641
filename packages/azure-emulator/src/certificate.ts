// Self-signed TLS certificate for the ARM endpoint; it is its own trust anchor (pass it as `ca`).
import { webcrypto } from "node:crypto";
import type * as X509 from "@peculiar/x509";

type X509Crypto = NonNullable<Parameters<typeof X509.X509CertificateGenerator.createSelfSigned>[1]>;

export interface ServerCertificate {
  certPem: string;
  keyPem: string;
}

export async function createServerCertificate(): Promise<ServerCertificate> {
  // Loaded lazily so the Reflect shim is in place before tsyringe (a dependency of x509) loads.
  await import("./reflect-metadata-shim.ts");
  const x509 = await import("@peculiar/x509");
  const crypto = webcrypto as unknown as X509Crypto;
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
        .toString("hex")
        .replace(/^[89a-f]/, "1"),
      name: "CN=armbridge-emulator",
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 7 * 24 * 3600_000),
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: "ip", value: "127.0.0.1" },
          { type: "ip", value: "::1" },
          { type: "dns", value: "localhost" },
        ]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "")}\n-----END PRIVATE KEY-----\n`;
  return { certPem: `${cert.toString("pem")}\n`, keyPem };
}
