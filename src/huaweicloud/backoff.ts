// Retry timing: jittered exponential back-off, Retry-After, and an abortable sleep.
// Huawei documents no Retry-After (notes section F) and advises waiting a few seconds on
// APIG.0308, so back-off is the rule and the header is honoured only when a server sends it.

export interface BackoffPolicy {
  /** First delay ceiling. */
  baseMs: number;
  factor: number;
  /** No single back-off delay is longer than this. */
  capMs: number;
  /** Retry-After values above this are cut down to it. */
  retryAfterCapMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 500,
  factor: 2,
  capMs: 10_000,
  retryAfterCapMs: 60_000,
};

/**
 * "Full jitter": a uniform delay in [0, min(cap, base * factor^retry)). Spreading retries
 * over the whole interval keeps many pollers from hitting a throttled API in lockstep.
 * @param retry 0 for the first retry.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * policy.factor ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * Milliseconds to wait according to a Retry-After header (delta seconds or an HTTP date),
 * capped; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number, capMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(Math.max(0, ms), capMs);
}

/** The reason an aborted signal carries, as an Error. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error("aborted");
}

/** setTimeout as a promise that rejects at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
