// A stand-in for the Application Insights ingestion endpoint: HTTPS on loopback with a certificate
// made for the test (the exporter refuses plain HTTP), keeping every envelope exactly as it arrived.
// It is also the process's HTTPS proxy, one that refuses every tunnel: the exporter polls Azure
// Monitor's settings service (settings.sdk.monitor.azure.com) 5 to 15 s after it starts, with no
// option to turn that off, and a test that runs that long must still keep its traffic on loopback.
import { writeFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { createServerCertificate } from "@armbridge/azure-emulator/certificate";

export interface Envelope {
  name: string;
  /** When the item happened (ISO 8601): the table's `timestamp`. */
  time: string;
  iKey: string;
  /** The percentage of items kept where this one was (100 unsampled): Application Insights' itemCount is 100 / sampleRate. */
  sampleRate?: number;
  tags: Record<string, string>;
  data: { baseType: string; baseData: Record<string, unknown> & { properties?: Record<string, unknown> } };
}

export interface FakeIngestion {
  /** A connection string pointing the exporter here. */
  connectionString: string;
  /** `https://127.0.0.1:port`: the ingestion endpoint, and the proxy. */
  origin: string;
  /** The certificate to trust (self-signed, so it is its own CA), written to a file for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  envelopes: Envelope[];
  /** Every request body as received, decompressed: what a leak would be found in. */
  bodies: string[];
  /** Paths other than the track endpoint that something tried to reach. */
  otherPaths: string[];
  /** The `host:port` of every tunnel asked of the proxy (each refused). */
  tunnels: string[];
  stop(): Promise<void>;
}

export async function startFakeIngestion(dir: string): Promise<FakeIngestion> {
  const { certPem, keyPem } = await createServerCertificate();
  const caFile = join(dir, "ingestion-ca.pem");
  writeFileSync(caFile, certPem);
  const envelopes: Envelope[] = [];
  const bodies: string[] = [];
  const otherPaths: string[] = [];
  const tunnels: string[] = [];
  const server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const text = (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
      bodies.push(text);
      const path = new URL(req.url ?? "/", "https://127.0.0.1").pathname;
      if (req.method !== "POST" || !path.endsWith("/track")) {
        otherPaths.push(`${req.method} ${path}`);
        res.writeHead(404).end();
        return;
      }
      // The exporter sends a JSON array (or newline-delimited JSON).
      const items = (
        text.trim().startsWith("[")
          ? JSON.parse(text)
          : text
              .split("\n")
              .filter(Boolean)
              .map((l) => JSON.parse(l))
      ) as Envelope[];
      envelopes.push(...items);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
    });
  });
  server.on("connect", (req, socket) => {
    tunnels.push(req.url ?? "");
    socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    connectionString: `InstrumentationKey=5d3c1b0e-0000-4000-8000-00000000a11e;IngestionEndpoint=https://127.0.0.1:${port}/`,
    origin: `https://127.0.0.1:${port}`,
    caFile,
    envelopes,
    bodies,
    otherPaths,
    tunnels,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The environment that points armbridge's exporter at `ingestion`, trusting its certificate. */
export function exporterEnvironment(ingestion: FakeIngestion): Record<string, string> {
  return {
    APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString,
    // Adds the fake endpoint's certificate to the trusted ones; verification stays on.
    NODE_EXTRA_CA_CERTS: ingestion.caFile,
    // Whatever the Azure SDK pipelines would send off loopback goes to the refusing proxy instead.
    HTTPS_PROXY: ingestion.origin,
    NO_PROXY: "127.0.0.1,::1,localhost",
    // The exporter's own usage reports would go to Microsoft's endpoints, outside this machine.
    APPLICATION_INSIGHTS_NO_STATSBEAT: "true",
    APPLICATIONINSIGHTS_STATSBEAT_DISABLED: "true",
    APPLICATIONINSIGHTS_SDKSTATS_DISABLED: "true",
  };
}
