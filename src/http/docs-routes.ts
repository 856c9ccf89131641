// The contract and its interactive page: GET /openapi.json, /openapi.yaml and /docs (Swagger UI). Every
// asset comes from the swagger-ui-dist package on disk, and the page's CSP lets it reach only armbridge.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type RenderedDocument, renderDocument } from "../openapi/document.ts";
import { problemResponses, registerProblemComponents } from "./problem-docs.ts";
import { NO_SECURITY, registerSecuritySchemes } from "./security-docs.ts";

const swaggerDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

// Swagger UI's validator badge would send the document to an outside service: validatorUrl null.
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  displayOperationId: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>armbridge API</title>
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

const documentRoute = (path: string, operationId: string, mediaType: string, summary: string) =>
  createRoute({
    method: "get",
    path,
    operationId,
    tags: ["Documentation"],
    summary,
    security: NO_SECURITY,
    responses: {
      200: {
        description: "The OpenAPI 3.1 document",
        content: {
          [mediaType]: { schema: z.looseObject({ openapi: z.string(), paths: z.looseObject({}) }) },
        },
      },
      ...problemResponses(),
    },
  });

const docsPage = createRoute({
  method: "get",
  path: "/docs",
  operationId: "getDocsPage",
  tags: ["Documentation"],
  summary: "The interactive API page (Swagger UI), served with all its assets by armbridge itself",
  security: NO_SECURITY,
  responses: {
    200: { description: "An HTML page", content: { "text/html": { schema: z.string() } } },
    ...problemResponses(),
  },
});

export function registerDocsRoutes(app: OpenAPIHono): void {
  registerSecuritySchemes(app.openAPIRegistry);
  registerProblemComponents(app.openAPIRegistry);
  // Rendered on first use, once every route of the app is registered; the app never changes after.
  let rendered: RenderedDocument | undefined;
  const doc = () => {
    rendered ??= renderDocument(app);
    return rendered;
  };
  app.openapi(
    documentRoute("/openapi.json", "getOpenApiJson", "application/json", "This OpenAPI document as JSON"),
    (c) => c.body(doc().json, 200, { "content-type": "application/json; charset=utf-8" }),
  );
  app.openapi(
    documentRoute("/openapi.yaml", "getOpenApiYaml", "application/yaml", "This OpenAPI document as YAML"),
    (c) => c.body(doc().yaml, 200, { "content-type": "application/yaml; charset=utf-8" }),
  );
  app.openapi(docsPage, (c) => c.html(PAGE, 200, { "content-security-policy": CSP }));

  const assets = new Map<string, Uint8Array<ArrayBuffer>>();
  // One route for the page's own script and swagger-ui's files: a fixed path beside `/docs/:asset`
  // would leave Hono's fastest router (RegExpRouter) unable to take the app's routes, and every
  // request would be matched by the slower TrieRouter.
  app.get("/docs/:asset", (c) => {
    const name = c.req.param("asset");
    if (name === "init.js") {
      return c.body(INIT_SCRIPT, 200, { "content-type": "text/javascript; charset=utf-8" });
    }
    const type = ASSETS[name];
    if (!type) return c.notFound();
    let bytes = assets.get(name);
    if (!bytes) {
      bytes = new Uint8Array(readFileSync(join(swaggerDir, name)));
      assets.set(name, bytes);
    }
    return c.body(bytes, 200, { "content-type": type, "cache-control": "public, max-age=86400" });
  });
}
