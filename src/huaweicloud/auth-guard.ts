// Keeps a wrong, revoked or skewed key from getting locked. The gateway locks an access key for
// 5 minutes after 5 consecutive authentication failures (notes section A, "Lockout"), and a
// locked key also stops every other program using it. So per access key, across every client
// in the process, at most `limit` requests may fail in any `windowMs`, counting the ones still
// in flight: a key is only trusted on an API (a scope: source and host) that accepted it a
// moment ago with no failure of the key since; anywhere else one request goes alone and the
// others of that scope wait for its answer, while requests alone on other scopes count
// against the budget. Past the budget, requests fail at once without being sent.

import { abortReason } from "./backoff.js";
import { ApiError } from "./errors.js";

export interface AuthGuardOptions {
  /** Sliding window; default 5 minutes, the gateway's lock time. */
  windowMs?: number;
  /** Failures allowed per window, in flight included; default 5, the gateway's threshold. */
  limit?: number;
  /**
   * How long an acceptance vouches for the key on its scope, and the longest a request sent
   * alone holds the others; default 2 s. Well under a poll interval, so each poll starts with
   * one request alone, while the pages of a poll (each sent as the previous answer arrives)
   * flow freely.
   */
  trustMs?: number;
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
   * page failed and the poll aborted the rest). Unless the key was trusted throughout, it
   * counts as a failure: the gateway may have counted it, and its lock is what the budget
   * protects.
   */
  | "abandoned";

export interface AuthPermit {
  /** Must be called exactly once, when the answer (or failure) is known. */
  release(outcome: AuthOutcome): void;
}

interface Failure {
  at: number;
  scope: string;
}

interface ScopeRecord {
  /** When the scope last accepted the key, and the key's failureCount then. */
  acceptedAt?: number;
  failureCountThen?: number;
  /** The scope's last answer was an acceptance (as opposed to a refusal). */
  lastAccepted: boolean;
}

interface Probe {
  scope: string;
  sentAt: number;
}

interface KeyRecord {
  /** Failures within the window, oldest first; an acceptance does not erase them. */
  failures: Failure[];
  /** Failures ever recorded: an acceptance vouches for the key only until the next one. */
  failureCount: number;
  scopes: Map<string, ScopeRecord>;
  /** Requests in flight to scopes that do not trust the key: one per scope. */
  probes: Set<Probe>;
  /** Wakes the waiters when the oldest probe stops counting (see acquire). */
  probeTimer: NodeJS.Timeout | undefined;
  inFlight: number;
  waiters: Set<() => void>;
}

export class AuthGuard {
  readonly windowMs: number;
  readonly limit: number;
  readonly trustMs: number;
  private readonly now: () => number;
  private readonly records = new Map<string, KeyRecord>();

  constructor(options: AuthGuardOptions = {}) {
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.limit = options.limit ?? 5;
    this.trustMs = options.trustMs ?? 2_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Waits for permission to send one request with this key to `scope`. Trusted there: at once.
   * Otherwise one request at a time per scope, within the budget. Throws ApiError(auth) without
   * waiting once the scope's budget is spent, and the signal's reason when it aborts.
   */
  async acquire(
    accessKey: string,
    scope: string,
    signal?: AbortSignal,
    /** This caller's trustMs: polls closer together than twice the default need less. */
    trustMs = this.trustMs,
  ): Promise<AuthPermit> {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      // Looked up afresh each turn: a record with nothing left to say is dropped on release.
      const record = this.record(accessKey);
      this.prune(record);
      if (this.trusted(record, scope, trustMs)) {
        record.inFlight++;
        return this.permit(record, scope);
      }
      if (record.failures.length >= this.budget(record, scope)) throw this.heldBack(accessKey, record, scope);
      // One request alone per scope; the others of the scope wait for its answer.
      const probes = [...record.probes];
      if (!probes.some((p) => p.scope === scope)) {
        // Across scopes, probes in flight count as failures to come. A refusal comes from the
        // gateway at once; a probe unanswered after trustMs has passed it and stops counting,
        // so a hanging API cannot hold back the key's other APIs.
        const counting = probes.filter((p) => this.now() - p.sentAt < trustMs);
        if (record.failures.length + counting.length < this.budget(record, scope)) {
          const probe = { scope, sentAt: this.now() };
          record.probes.add(probe);
          record.inFlight++;
          return this.permit(record, scope, probe);
        }
        const oldest = Math.min(...counting.map((p) => p.sentAt));
        record.probeTimer ??= setTimeout(
          () => this.wake(record),
          Math.max(1, oldest + trustMs - this.now()),
        ).unref();
      }
      await this.nextRelease(record, signal);
    }
  }

  /** The time until which requests with this key to `scope` are held back, if they are. */
  heldBackUntil(accessKey: string, scope = ""): number | undefined {
    const record = this.records.get(accessKey);
    if (!record) return undefined;
    this.prune(record);
    if (this.trusted(record, scope)) return undefined;
    const budget = this.budget(record, scope);
    return record.failures.length >= budget ? this.releaseTime(record, budget) : undefined;
  }

  private trusted(record: KeyRecord, scope: string, trustMs = this.trustMs): boolean {
    const s = record.scopes.get(scope);
    return (
      s?.acceptedAt !== undefined &&
      s.failureCountThen === record.failureCount &&
      this.now() - s.acceptedAt <= trustMs
    );
  }

  /**
   * Only a scope whose last answer accepted the key may spend the key's last failure: the
   * others stop one short, so an API refusing a key cannot hold back the APIs that accept
   * it, and the key's total stays within the limit.
   */
  private budget(record: KeyRecord, scope: string): number {
    return record.scopes.get(scope)?.lastAccepted ? this.limit : this.limit - 1;
  }

  private permit(record: KeyRecord, scope: string, probe?: Probe): AuthPermit {
    const failuresAtStart = record.failureCount;
    let released = false;
    return {
      release: (outcome) => {
        if (released) return;
        released = true;
        record.inFlight--;
        if (probe) record.probes.delete(probe);
        const trustedThroughout = !probe && record.failureCount === failuresAtStart;
        if (outcome === "auth_failure" || (outcome === "abandoned" && !trustedThroughout)) {
          record.failures.push({ at: this.now(), scope });
          record.failureCount++;
          record.scopes.set(scope, { lastAccepted: false });
        } else if (outcome === "accepted") {
          const at = this.now();
          record.scopes.set(scope, {
            acceptedAt: at,
            failureCountThen: record.failureCount,
            lastAccepted: true,
          });
        }
        // The waiters wake once this answer has reached its caller: a poll that fails on it
        // cancels its other requests first, instead of letting the next one out.
        if (record.waiters.size > 0) setImmediate(() => this.wake(record));
        this.sweep();
      },
    };
  }

  private wake(record: KeyRecord): void {
    clearTimeout(record.probeTimer);
    record.probeTimer = undefined;
    const waiters = [...record.waiters];
    record.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Drops the records with nothing left to say (temporary keys rotate: old ones must go). */
  private sweep(): void {
    const now = this.now();
    for (const [accessKey, record] of this.records) {
      if (record.inFlight > 0 || record.waiters.size > 0) continue;
      this.prune(record);
      if (record.failures.length > 0) continue;
      const fresh = [...record.scopes.values()].some(
        (s) => s.acceptedAt !== undefined && now - s.acceptedAt <= this.trustMs,
      );
      if (!fresh) this.records.delete(accessKey);
    }
  }

  private record(accessKey: string): KeyRecord {
    let record = this.records.get(accessKey);
    if (!record) {
      record = {
        failures: [],
        failureCount: 0,
        scopes: new Map(),
        probes: new Set(),
        probeTimer: undefined,
        inFlight: 0,
        waiters: new Set(),
      };
      this.records.set(accessKey, record);
    }
    return record;
  }

  private prune(record: KeyRecord): void {
    const since = this.now() - this.windowMs;
    while (record.failures.length > 0 && (record.failures[0] as Failure).at <= since) record.failures.shift();
  }

  /** When the window will again hold fewer than `budget` failures. */
  private releaseTime(record: KeyRecord, budget: number): number {
    const oldestThatCounts = record.failures[Math.max(0, record.failures.length - budget)] as Failure;
    return oldestThatCounts.at + this.windowMs;
  }

  private heldBack(accessKey: string, record: KeyRecord, scope: string): ApiError {
    const until = new Date(this.releaseTime(record, this.budget(record, scope))).toISOString();
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
