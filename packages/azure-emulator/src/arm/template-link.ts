// Fetches a linked template (templateLink.uri) the way ARM does, but only from loopback: the
// emulator's own /_emulator/templates/ or a test server on 127.0.0.1 / ::1. Nothing else is reached.
import http from "node:http";
import https from "node:https";
import { ResourceError } from "./template-resources.ts";
import type { TemplateLink } from "./template-runner.ts";

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);
const MAX_BYTES = 4 * 1024 * 1024;
const TIMEOUT_MS = 10_000;

function invalidLink(uri: string, why: string): ResourceError {
  return new ResourceError({
    code: "InvalidContentLink",
    message: `Unable to download deployment content from '${uri}'. ${why} Please see https://aka.ms/arm-template-link for usage details.`,
  });
}

export function createTemplateFetcher(caCertPem: string): (link: TemplateLink) => Promise<unknown> {
  return (link) => {
    let url: URL;
    try {
      const query = link.queryString ? `${link.uri.includes("?") ? "&" : "?"}${link.queryString}` : "";
      url = new URL(`${link.uri}${query}`);
    } catch {
      return Promise.reject(invalidLink(link.uri, "The uri is not a valid absolute URI."));
    }
    if (!LOOPBACK.has(url.hostname) || !["http:", "https:"].includes(url.protocol)) {
      return Promise.reject(
        invalidLink(link.uri, "The emulator fetches linked templates only from loopback addresses."),
      );
    }
    return new Promise((resolve, reject) => {
      const options = { timeout: TIMEOUT_MS, ...(url.protocol === "https:" ? { ca: caCertPem } : {}) };
      const get = url.protocol === "https:" ? https.get : http.get;
      const req = get(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_BYTES) req.destroy(new Error("too large"));
          else chunks.push(c);
        });
        res.on("end", () => {
          if (res.statusCode !== 200) {
            reject(invalidLink(link.uri, `The remote server returned status '${res.statusCode}'.`));
            return;
          }
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
          } catch {
            reject(invalidLink(link.uri, "The content is not valid JSON."));
          }
        });
      });
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", (e) => reject(invalidLink(link.uri, `The request failed: ${e.message}.`)));
    });
  };
}
