// Reads openapi.yaml and checks real answers against it: the documented status, media type and schema.
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";

interface DocumentedResponse {
  content?: Record<string, { schema: unknown }>;
  headers?: Record<string, unknown>;
}

export interface DocumentedOperation {
  method: string;
  path: string;
  operationId: string;
  /** Inline, or a reference to a named response of `components.responses` (the problems). */
  responses: Record<string, DocumentedResponse | { $ref: string }>;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch"];

export function loadContract() {
  const document = parse(readFileSync("openapi.yaml", "utf8")) as {
    paths: Record<string, Record<string, Omit<DocumentedOperation, "method" | "path">>>;
    components: { responses?: Record<string, DocumentedResponse> };
  };
  const operations: DocumentedOperation[] = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ ...op, method, path })),
  );
  // OpenAPI 3.1 schemas are JSON Schema 2020-12; `example` and friends are annotations Ajv may ignore.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats.default(ajv);
  ajv.addSchema({ ...document, $id: "openapi" });
  const pointer = (...parts: string[]) =>
    parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

  /** Why `res` is not an answer `op` documents, or undefined when it is one. */
  async function violation(op: DocumentedOperation, res: Response): Promise<string | undefined> {
    const status = String(res.status);
    const declared = op.responses[status];
    if (!declared) return `status ${status} is not documented (${Object.keys(op.responses).join(", ")})`;
    // A named response is read (and its schema compiled) where it is defined.
    const named = "$ref" in declared ? declared.$ref.replace("#/components/responses/", "") : undefined;
    const documented = named ? document.components.responses?.[named] : (declared as DocumentedResponse);
    if (!documented) return `${status} refers to a response that is not in the document`;
    const at = named
      ? ["components", "responses", named]
      : ["paths", op.path, op.method, "responses", status];
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      if ((header as { required?: boolean }).required && !res.headers.has(name))
        return `header ${name} missing`;
    }
    if (!documented.content)
      return (await res.text()) === "" ? undefined : `a body, where ${status} has none`;
    const type = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    const media = documented.content?.[type];
    if (!media) return `content type '${type}' is not documented for ${status}`;
    const text = await res.text();
    const body = type.endsWith("json") ? JSON.parse(text) : type.endsWith("yaml") ? parse(text) : text;
    const ref = `openapi#/${pointer(...at, "content", type, "schema")}`;
    const validate = ajv.getSchema(ref);
    if (!validate) return `no schema at ${ref}`;
    if (!validate(body)) return `${ajv.errorsText(validate.errors)} in ${text.slice(0, 300)}`;
    return undefined;
  }

  return { document, operations, violation };
}
