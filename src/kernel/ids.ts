// Identifiers armbridge makes itself (jobs, audit rows, batches, process instances): random UUIDs.
import { randomUUID } from "node:crypto";

export function newId(): string {
  return randomUUID();
}
