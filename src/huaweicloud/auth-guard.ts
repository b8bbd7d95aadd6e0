// Keeps a wrong or revoked key from getting locked. The gateway locks an access key for
// 5 minutes after 5 consecutive authentication failures (notes section A, "Lockout"), and a
// locked key also stops every other program using it. So per access key, across every client
// in the process, at most `limit` failing requests go out in any `windowMs` window; past that,
// requests fail at once without being sent.

import { abortReason } from "./backoff.js";
import { ApiError } from "./errors.js";

export interface AuthGuardOptions {
  /** Sliding window; default 5 minutes, the gateway's lock time. */
  windowMs?: number;
  /** Failures allowed per window; default 5, the gateway's threshold. */
  limit?: number;
  now?: () => number;
}

/** What came of a request sent under a permit. */
export type AuthOutcome =
  /** The gateway rejected the key or signature (401, APIG(W).0301/0303). */
  | "auth_failure"
  /** The gateway accepted the key (2xx, or a 4xx about the request itself). */
  | "accepted"
  /** Nothing learnt about the key (network error, timeout, 5xx, throttling). */
  | "unknown"
  /**
   * The caller gave up on a request that may already have reached the gateway (a sibling
   * page failed and the poll aborted the rest). For a key not known good it counts as a
   * failure: the gateway may have counted it, and its lock is what the budget protects.
   */
  | "abandoned";

export interface AuthPermit {
  /** Must be called exactly once, when the answer (or failure) is known. */
  release(outcome: AuthOutcome): void;
}

interface KeyRecord {
  /** Times of failures within the window, oldest first. */
  failures: number[];
  /** The key's last known answer was an acceptance. */
  trusted: boolean;
  inFlight: number;
  waiters: Set<() => void>;
}

export class AuthGuard {
  readonly windowMs: number;
  readonly limit: number;
  private readonly now: () => number;
  private readonly records = new Map<string, KeyRecord>();

  constructor(options: AuthGuardOptions = {}) {
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.limit = options.limit ?? 5;
    this.now = options.now ?? Date.now;
  }

  /**
   * Waits for permission to send one request with this key. A key not yet known good may only
   * have as many requests in flight as failures it can still afford, so a burst of concurrent
   * requests with a bad key cannot overshoot the budget; a trusted key is not held at all.
   * Throws ApiError(auth) at once when the budget is spent.
   */
  async acquire(accessKey: string, signal?: AbortSignal): Promise<AuthPermit> {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      // Looked up afresh each turn: a record with nothing left to say is dropped on release.
      const record = this.record(accessKey);
      this.prune(record);
      if (record.failures.length >= this.limit) throw this.heldBack(accessKey, record);
      if (record.trusted || record.failures.length + record.inFlight < this.limit) {
        record.inFlight++;
        return this.permit(accessKey, record);
      }
      await this.nextRelease(record, signal);
    }
  }

  /** The time until which requests with this key are held back, if they are. */
  heldBackUntil(accessKey: string): number | undefined {
    const record = this.records.get(accessKey);
    if (!record) return undefined;
    this.prune(record);
    return record.failures.length >= this.limit ? this.releaseTime(record) : undefined;
  }

  private permit(accessKey: string, record: KeyRecord): AuthPermit {
    let released = false;
    return {
      release: (outcome) => {
        if (released) return;
        released = true;
        record.inFlight--;
        if (outcome === "auth_failure" || (outcome === "abandoned" && !record.trusted)) {
          record.failures.push(this.now());
          record.trusted = false;
        } else if (outcome === "accepted") {
          record.failures = [];
          record.trusted = true;
        }
        for (const wake of record.waiters) wake();
        record.waiters.clear();
        if (record.inFlight === 0 && record.failures.length === 0 && !record.trusted) {
          this.records.delete(accessKey);
        }
      },
    };
  }

  private record(accessKey: string): KeyRecord {
    let record = this.records.get(accessKey);
    if (!record) {
      record = { failures: [], trusted: false, inFlight: 0, waiters: new Set() };
      this.records.set(accessKey, record);
    }
    return record;
  }

  private prune(record: KeyRecord): void {
    const since = this.now() - this.windowMs;
    while (record.failures.length > 0 && (record.failures[0] as number) <= since) record.failures.shift();
  }

  /** When the window will again hold fewer than `limit` failures. */
  private releaseTime(record: KeyRecord): number {
    const oldestThatCounts = record.failures[record.failures.length - this.limit] as number;
    return oldestThatCounts + this.windowMs;
  }

  private heldBack(accessKey: string, record: KeyRecord): ApiError {
    const until = new Date(this.releaseTime(record)).toISOString();
    return new ApiError(
      "auth",
      `requests with access key ${maskAccessKey(accessKey)} are held back until ${until}: ` +
        `${record.failures.length} authentication failures within ${Math.round(this.windowMs / 1000)}s, ` +
        `and the gateway locks a key after ${this.limit}; check the credentials`,
    );
  }

  private nextRelease(record: KeyRecord, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        record.waiters.delete(wake);
        reject(abortReason(signal as AbortSignal));
      };
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      record.waiters.add(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/** Access keys are not secret (they travel in every Authorization header), but logs need only a hint. */
export function maskAccessKey(accessKey: string): string {
  return accessKey.length <= 8
    ? `${accessKey.slice(0, 2)}…`
    : `${accessKey.slice(0, 4)}…${accessKey.slice(-2)}`;
}

/** The guard every client in the process shares unless given its own (tests). */
export const processAuthGuard = new AuthGuard();
