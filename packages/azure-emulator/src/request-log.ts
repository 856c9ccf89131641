// Every ARM request received, and the counters behind stats().
import type { EmulatorStats, RecordedRequest } from "./types.ts";

const MAX_ENTRIES = 50_000;
const MAX_TOKENS = 100;

export class RequestLog {
  private entries: RecordedRequest[] = [];
  private byMethodAndPath = new Map<string, number>();
  /** The access tokens IMDS handed out, newest last, so a test can look for them where they must not be. */
  issuedTokens: string[] = [];
  imdsTokenRequests = 0;
  armRequests = 0;
  throttled = 0;
  faulted = 0;

  add(entry: RecordedRequest): RecordedRequest {
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    this.armRequests++;
    const key = `${entry.method} ${entry.canonicalPath}`;
    this.byMethodAndPath.set(key, (this.byMethodAndPath.get(key) ?? 0) + 1);
    return entry;
  }

  tokenIssued(token: string): void {
    this.imdsTokenRequests++;
    this.issuedTokens.push(token);
    if (this.issuedTokens.length > MAX_TOKENS) this.issuedTokens.shift();
  }

  list(filter: { method?: string; pathPrefix?: string } = {}): RecordedRequest[] {
    const method = filter.method?.toUpperCase();
    const prefix = filter.pathPrefix?.toLowerCase();
    return this.entries
      .filter((e) => (!method || e.method === method) && (!prefix || e.canonicalPath.startsWith(prefix)))
      .map((e) => ({ ...e }));
  }

  stats(effects: Map<string, number>): EmulatorStats {
    return {
      imdsTokenRequests: this.imdsTokenRequests,
      armRequests: this.armRequests,
      byMethodAndPath: Object.fromEntries(this.byMethodAndPath),
      effects: Object.fromEntries(effects),
      throttled: this.throttled,
      faulted: this.faulted,
    };
  }

  clear(): void {
    this.entries = [];
    this.byMethodAndPath = new Map();
    this.imdsTokenRequests = 0;
    this.issuedTokens = [];
    this.armRequests = 0;
    this.throttled = 0;
    this.faulted = 0;
  }
}
