// What one source is, to the rest of the exporter: a definition (listed once in registry.ts)
// that polls, tracks, declares its families and says how `check` probes it. The store, the
// runtime, the poller, `check` and the landing page iterate the registry; none names a source.

import type { TargetConfig } from "../config/types.js";
import type { Family, JobFamily } from "../exposition/family.js";
import type { ErrorReason } from "../huaweicloud/errors.js";
import { ApiError, isApiError } from "../huaweicloud/errors.js";
import type { ApiGetter, ApiRequest } from "../huaweicloud/types.js";
import type { Logger } from "../logger.js";
import type { JobsBySource, PollOutcome, SourceName } from "./model.js";
import type { PipelineRow } from "./pipeline.js";
import type { SourceTracker, TrackerSettings } from "./tracker.js";

export interface Source<S extends SourceName> {
  readonly name: S;
  /** Every job of this source of the target, or an ApiError: never a partial list. */
  poll(signal: AbortSignal): Promise<PollOutcome<JobsBySource[S]>>;
}

/** Everything the exporter knows of one source, in one place. */
export interface JobSource<S extends string, J, A> {
  readonly name: S;
  /** Whether a target polls this source. */
  enabled(target: TargetConfig): boolean;
  /** The page loop of one target: poll() returns every job or throws an ApiError. */
  createSource(deps: SourceDeps): { readonly name: S; poll(signal: AbortSignal): Promise<PollOutcome<J>> };
  /** The diff of complete snapshots into counters, per target; `settings` are the target's. */
  createTracker(settings: () => TrackerSettings): SourceTracker<J, A>;
  /** Job and aggregate families, in the order served. */
  readonly families: ReadonlyArray<Family<J, A>>;
  /** Sources with pipelines: one row per pipeline (pipeline.ts), served after `families`. */
  readonly pipelineFamilies?: ReadonlyArray<JobFamily<PipelineRow>>;
  /** The calls `check` makes for a target, in order. */
  probes(target: TargetConfig, pageSize: number): Probe[];
  /** The job as the landing page lists it when it is in a failed state (states.ts), else undefined. */
  failed(job: J): FailedJob | undefined;
}

/** A job in one of its source's failed states. */
export interface FailedJob {
  /** What a user knows the job by: its name (with the workspace for DataArts), else its id. */
  name: string;
  /** The failed state (Spark state, Flink status, DataArts status or last instance status). */
  state: string;
  /** When it got there as well as the API says (epoch ms); undefined when it does not say. */
  atMs: number | undefined;
}

/** One call of `check`, and what its answer says. */
export interface Probe {
  /** `GET /v2.0/{project_id}/batches`, with what tells listings apart. */
  label: string;
  request: ApiRequest;
  /** Jobs on page one, from the answer's body; undefined if the body does not say. */
  count?: (body: unknown) => number | undefined;
  /** What `offset` means, asked once the call answered (DataArts). */
  describePaging?: (api: ApiGetter, signal: AbortSignal) => Promise<string>;
  /** A call to make with this answer (Spark's details of a listed job), or why none is made. */
  next?: (answered: boolean, body: unknown) => Probe | { label: string; notCalled: string };
}

/** The length of the array at `path` in an answer's body; undefined where there is none. */
export function lengthAt(...path: string[]): (body: unknown) => number | undefined {
  return (body) => {
    let value: unknown = body;
    for (const key of path) {
      if (value === null || typeof value !== "object") return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return Array.isArray(value) ? value.length : undefined;
  };
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
