// Decodes a webhook body: JSON, or GitHub's form encoding (`payload=<json>`).
import { AppError } from "../kernel/errors.ts";

// Stateless between calls (no `stream` option), so one decoder serves every request.
const utf8 = new TextDecoder("utf-8", { fatal: false });

export function parseJsonBody(body: Uint8Array, contentType: string | undefined): unknown {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  let text = utf8.decode(body);
  if (type === "application/x-www-form-urlencoded") {
    const payload = new URLSearchParams(text).get("payload");
    if (payload === null) throw new AppError("bad_request", "form body has no 'payload' field");
    text = payload;
  } else if (type !== "application/json" && !type?.endsWith("+json")) {
    throw new AppError("unsupported_media_type", `content type '${type || "(none)"}' is not JSON`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AppError("malformed_json", `the body is not valid JSON: ${(err as Error).message}`);
  }
}
