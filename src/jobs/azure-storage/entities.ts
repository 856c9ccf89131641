// How the Azure Storage job store lays jobs out in table entities: time-ordered keys (so that the
// table's own key order is "newest first"), long text split across properties, and Job <-> entity.
import { createHash, randomBytes } from "node:crypto";
import type { Job, JobError, JobState, JobTrace } from "../job.ts";

export type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };
/** An entity as read or written, with the ETag that a conditional write must match. */
export type StoredEntity = Entity & { etag: string };

/** Internal state of a job whose batch is not committed yet: never shown, never run. */
export const PENDING = "pending";

const MAX48 = 2 ** 48 - 1;

/** 12 hex digits that sort descending in time: a later instant gives a smaller key. */
export function timeKey(ms: number): string {
  return (MAX48 - Math.max(0, Math.min(MAX48, Math.floor(ms)))).toString(16).padStart(12, "0");
}

/** The `xxxxxxxx-xxxx` prefix that job ids of this millisecond start with. */
export function idPrefix(ms: number): string {
  const t = timeKey(ms);
  return `${t.slice(0, 8)}-${t.slice(8)}`;
}

/**
 * A job id: an RFC 9562 version 8 (custom) UUID whose first 48 bits are the inverted creation time,
 * the rest random. Used as the jobs table's PartitionKey, it makes a plain table scan return jobs
 * newest first, and a creation-time range a key range.
 */
export function newJobId(ms: number): string {
  const r = randomBytes(10).toString("hex");
  const variant = ((Number.parseInt(r.charAt(3), 16) & 0x3) | 0x8).toString(16);
  return `${idPrefix(ms)}-8${r.slice(0, 3)}-${variant}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}

/** The creation time a job id of this store carries, or undefined for any other string. */
export function createdMsOfId(id: string): number | undefined {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.exec(id);
  return m ? MAX48 - Number.parseInt(`${m[1]}${m[2]}`, 16) : undefined;
}

/** Table keys may not hold `/ \ # ?` or control characters; ids from a URL are checked first. */
export function isKeySafe(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  return value.length > 0 && value.length <= 512 && !/[/\\#?\u0000-\u001f\u007f-\u009f]/.test(value);
}

/** Idempotency keys and scopes are free text: their table key is a hash. */
export function hashKey(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

// A string property holds at most 64 KiB (32K UTF-16 units); longer text spans numbered properties.
const CHUNK = 30_000;

export function putText(entity: Record<string, unknown>, name: string, text: string | undefined): void {
  if (text === undefined) return;
  const parts = Math.max(1, Math.ceil(text.length / CHUNK));
  entity[name] = text.slice(0, CHUNK);
  for (let i = 1; i < parts; i++) entity[`${name}_${i}`] = text.slice(i * CHUNK, (i + 1) * CHUNK);
}

export function getText(entity: Record<string, unknown>, name: string): string | undefined {
  const first = entity[name];
  if (typeof first !== "string") return undefined;
  let text = first;
  for (let i = 1; typeof entity[`${name}_${i}`] === "string"; i++) text += entity[`${name}_${i}`];
  return text;
}

const json = (text: string | undefined) => (text === undefined ? undefined : JSON.parse(text));
const iso = (ms: unknown) => new Date(Number(ms)).toISOString();

/** The properties a job entity keeps apart from bookkeeping; every state change rewrites them all. */
export function jobEntity(job: Job, extra: Record<string, unknown> = {}): Entity {
  const e: Entity = {
    partitionKey: job.id,
    rowKey: "",
    state: job.state,
    operation: job.operation,
    scope: job.scope,
    scopeKey: job.scope.toLowerCase(),
    callerId: job.caller.id,
    actionIndex: job.actionIndex,
    requestId: job.requestId,
    correlationId: job.correlationId,
    attempts: job.attempts,
    notBefore: Date.parse(job.notBefore),
    createdAt: Date.parse(job.createdAt),
    updatedAt: Date.parse(job.updatedAt),
    acceptedAt: Date.parse(job.acceptedAt),
    ...extra,
  };
  if (job.idempotencyKey !== undefined) e.idempotencyKey = job.idempotencyKey;
  if (job.routeId !== undefined) e.routeId = job.routeId;
  if (job.finishedAt !== undefined) e.finishedAt = Date.parse(job.finishedAt);
  putText(e, "params", JSON.stringify(job.params) ?? "null");
  putText(e, "caller", JSON.stringify(job.caller));
  if (job.result !== undefined) putText(e, "result", JSON.stringify(job.result));
  if (job.error !== undefined) putText(e, "error", JSON.stringify(job.error));
  putText(e, "lroState", job.lroState);
  if (job.after.length > 0) putText(e, "after", JSON.stringify(job.after));
  if (job.trace !== undefined) putText(e, "trace", JSON.stringify(job.trace));
  return e;
}

export function toJob(e: Record<string, unknown>): Job {
  return {
    id: String(e.partitionKey),
    idempotencyKey: typeof e.idempotencyKey === "string" ? e.idempotencyKey : undefined,
    after: json(getText(e, "after")) ?? [],
    state: (e.state === PENDING ? "accepted" : e.state) as JobState,
    operation: String(e.operation),
    params: json(getText(e, "params")),
    scope: String(e.scope),
    caller: json(getText(e, "caller")),
    routeId: typeof e.routeId === "string" ? e.routeId : undefined,
    actionIndex: Number(e.actionIndex),
    requestId: String(e.requestId),
    correlationId: String(e.correlationId),
    attempts: Number(e.attempts),
    notBefore: iso(e.notBefore),
    createdAt: iso(e.createdAt),
    updatedAt: iso(e.updatedAt),
    finishedAt: e.finishedAt === undefined ? undefined : iso(e.finishedAt),
    result: json(getText(e, "result")),
    error: json(getText(e, "error")) as JobError | undefined,
    lroState: getText(e, "lroState"),
    acceptedAt: iso(e.acceptedAt),
    trace: json(getText(e, "trace")) as JobTrace | undefined,
  };
}

/** Ids of the jobs that run after this one (of its own submission). */
export function dependentsOf(e: Record<string, unknown>): string[] {
  return json(getText(e, "dependents")) ?? [];
}

/**
 * The bookkeeping properties a state change carries over: batch and place in it, dependents, the
 * leasing message, a parked message.
 */
export function bookkeeping(e: Record<string, unknown>): Record<string, unknown> {
  const keep: Record<string, unknown> = {};
  for (const name of [
    "batchId",
    "seq",
    "dependents",
    "leaseMessageId",
    "parkedMessageId",
    "parkedPopReceipt",
  ]) {
    if (e[name] !== undefined) keep[name] = e[name];
  }
  return keep;
}

/** The HTTP status of a failed storage call, if it has one. */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}
