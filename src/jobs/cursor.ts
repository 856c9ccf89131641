// The opaque page cursors of job and audit listings, one shape for both engines: `[time, key]`.

export function encodeCursor(at: number, key: string | number): string {
  return Buffer.from(JSON.stringify([at, key])).toString("base64url");
}

/** Throws RangeError for anything that is not a cursor a store made. */
export function decodeCursor(cursor: string): [number, string | number] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString());
    if (
      Array.isArray(value) &&
      typeof value[0] === "number" &&
      (typeof value[1] === "string" || typeof value[1] === "number")
    ) {
      return [value[0], value[1]];
    }
  } catch {}
  throw new RangeError("invalid cursor");
}
