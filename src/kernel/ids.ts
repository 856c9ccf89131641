// Identifiers armbridge makes itself (jobs, audit rows, batches, process instances): random UUIDs.
import * as crypto from "node:crypto";

export function newId(): string {
  return crypto.randomUUID();
}

/**
 * A UUID that grows with time (version 7 where Node has it): as a key it lands at the end of an
 * index instead of on a random page, so inserting it writes fewer pages.
 */
export const newTimeOrderedId: () => string = crypto.randomUUIDv7 ?? crypto.randomUUID;
