// The unauthenticated inspection API on the ARM server: /_emulator/{requests,stats,tokens,configure,reset,ca.pem,templates/{name}}.
import type http from "node:http";
import type { ArmStore } from "./arm/arm-store.ts";
import type { RequestLog } from "./request-log.ts";
import type { EmulatorPatch } from "./types.ts";

export interface ControlDeps {
  log: RequestLog;
  store: ArmStore;
  /** Templates served for templateLink, by name. */
  templates: Map<string, unknown>;
  configure: (patch: EmulatorPatch) => void;
  reset: () => void;
  caCertPem: string;
}

export function createControlHandler(deps: ControlDeps) {
  return (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: { pathname: string; searchParams: URLSearchParams },
    body: string,
  ): void => {
    const json = (status: number, value: unknown) => {
      const text = JSON.stringify(value);
      res.writeHead(status, {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": Buffer.byteLength(text),
      });
      res.end(text);
    };
    const route = `${req.method} ${url.pathname.replace(/\/+$/, "")}`;
    const template = /^\/_emulator\/templates\/([^/]+)$/.exec(url.pathname);
    if (template?.[1]) {
      const name = decodeURIComponent(template[1]);
      if (req.method === "PUT") {
        try {
          deps.templates.set(name, JSON.parse(body));
        } catch {
          json(400, { error: { code: "InvalidRequestContent", message: "The template must be JSON." } });
          return;
        }
        res.writeHead(204).end();
        return;
      }
      if (req.method === "GET" && deps.templates.has(name)) {
        json(200, deps.templates.get(name));
        return;
      }
      json(404, { error: { code: "NotFound", message: `No template '${name}'.` } });
      return;
    }
    switch (route) {
      case "GET /_emulator/requests": {
        const method = url.searchParams.get("method") ?? undefined;
        const pathPrefix = url.searchParams.get("pathPrefix") ?? undefined;
        json(200, deps.log.list({ method, pathPrefix }));
        return;
      }
      case "GET /_emulator/tokens":
        json(200, deps.log.issuedTokens);
        return;
      case "GET /_emulator/stats":
        json(200, deps.log.stats(deps.store.effects));
        return;
      case "POST /_emulator/configure": {
        let patch: EmulatorPatch;
        try {
          patch = body.trim() ? (JSON.parse(body) as EmulatorPatch) : {};
        } catch {
          json(400, { error: { code: "InvalidRequestContent", message: "The body must be a JSON object." } });
          return;
        }
        deps.configure(patch);
        json(200, { configured: Object.keys(patch) });
        return;
      }
      case "POST /_emulator/reset":
        deps.reset();
        res.writeHead(204).end();
        return;
      case "GET /_emulator/ca.pem":
        res.writeHead(200, { "Content-Type": "application/x-pem-file" }).end(deps.caCertPem);
        return;
      default:
        json(404, { error: { code: "NotFound", message: `No emulator control endpoint '${route}'.` } });
    }
  };
}
