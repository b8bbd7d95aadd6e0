// The contract between the sources and whoever polls them (the scheduler).

import type { TargetConfig } from "../config/types.js";
import type { ErrorReason } from "../huaweicloud/errors.js";
import { ApiError, isApiError } from "../huaweicloud/errors.js";
import type { ApiGetter } from "../huaweicloud/types.js";
import type { Logger } from "../logger.js";
import type { JobsBySource, PollOutcome, SourceName } from "../model.js";

export interface Source<S extends SourceName> {
  readonly name: S;
  /** Every job of this source of the target, or an ApiError: never a partial list. */
  poll(signal: AbortSignal): Promise<PollOutcome<JobsBySource[S]>>;
}

export interface SourceDeps {
  api: ApiGetter;
  target: TargetConfig;
  /** Records per list call. */
  pageSize: number;
  /** Requests in flight per source poll (pages and details calls together). */
  concurrency: number;
  /** Bound to the target by the caller; sources add `source`. */
  logger: Logger;
  /** Clock in epoch milliseconds; injectable for tests. */
  now?: () => number;
}

/**
 * What leaves a poll is an ApiError. An abort (shutdown, poll deadline) surfaces from undici or
 * the limiter as the signal's reason; it becomes a `timeout` error so the caller counts it.
 * Anything else is a bug and is rethrown as it is.
 */
export function asPollError(err: unknown, signal: AbortSignal, what: string): unknown {
  if (isApiError(err)) return err;
  if (signal.aborted) {
    const reason: ErrorReason = "timeout";
    return new ApiError(reason, `${what}: the poll was aborted before it completed`, { cause: err });
  }
  return err;
}

/** Cuts text from an API answer before it goes into an error message or a log line. */
export function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
