// The one reader of W3C trace context `traceparent` headers (https://www.w3.org/TR/trace-context/#traceparent-header).

const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
/** A later version keeps the first four fields and may append more after a `-`. */
const LATER_VERSION = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_PARENT = "0".repeat(16);

/**
 * The trimmed `traceparent` when it is valid, else undefined: version `ff` and all-zero trace or
 * parent ids are invalid; version 00 has exactly four fields; later versions are read for their
 * first four, as the spec asks of parsers that meet a version they do not know.
 */
export function parseTraceparent(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const v00 = VERSION_00.exec(text);
  const match = v00 ?? (text.startsWith("00-") ? null : LATER_VERSION.exec(text));
  if (!match) return undefined;
  const [traceId, parentId] = v00 ? [match[1], match[2]] : [match[2], match[3]];
  if (!v00 && match[1] === "ff") return undefined;
  if (traceId === ZERO_TRACE || parentId === ZERO_PARENT) return undefined;
  return text;
}
