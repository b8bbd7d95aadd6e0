// One poll of one source of one target, from the API to the store: the only place where a
// source's outcome meets the state, the exporter's own metrics, the log and the status page.

import { ApiError, isApiError } from "../huaweicloud/errors.js";
import type { JobsBySource, SourceName, TargetIdentity } from "../jobs/model.js";
import type { Source } from "../jobs/source.js";
import type { Logger } from "../logger.js";

/** Where complete polls go and where failures are reported: the job store. */
export interface PollSink {
  // The poll ends once its result is served.
  applySuccess<S extends SourceName>(
    target: TargetIdentity,
    source: S,
    jobs: JobsBySource[S][],
    nowMs: number,
  ): Promise<void>;
  applyFailure(target: TargetIdentity, source: SourceName, nowMs: number): Promise<void>;
}

/** The exporter's own metrics that a poll moves. */
export interface PollMetrics {
  observePoll(
    target: TargetIdentity,
    source: SourceName,
    result: "success" | "error",
    durationSeconds: number,
    nowMs: number,
  ): void;
  countError(target: TargetIdentity, source: SourceName, err: ApiError): void;
  countSkippedPoll(target: TargetIdentity, source: SourceName): void;
}

export interface LastError {
  reason: string;
  message: string;
  status?: number;
  code?: string;
  requestId?: string;
}

/** What the landing page and /readyz show of one source. */
export interface SourceStatus {
  target: string;
  source: SourceName;
  running: boolean;
  lastResult: "never" | "success" | "error";
  lastPollStartMs?: number;
  lastPollEndMs?: number;
  lastSuccessMs?: number;
  lastDurationSeconds?: number;
  jobs?: number;
  /** Jobs of the last complete poll by state (Spark `state`, Flink and DataArts `status`). */
  jobsByState?: Record<string, number>;
  pages?: number;
  requests?: number;
  lastError?: LastError;
  skippedPolls: number;
}

export interface SourcePollerDeps {
  target: TargetIdentity;
  source: Source<SourceName>;
  sink: PollSink;
  metrics: PollMetrics;
  logger: Logger;
  now?: () => number;
}

export class SourcePoller {
  readonly status: SourceStatus;
  private readonly deps: SourcePollerDeps;
  private readonly now: () => number;
  private controller: AbortController | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(deps: SourcePollerDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.status = {
      target: deps.target.name,
      source: deps.source.name,
      running: false,
      lastResult: "never",
      skippedPolls: 0,
    };
  }

  /**
   * Runs one poll unless the previous one is still running: a tick that finds it busy is
   * skipped and counted, so a slow API never stacks up polls.
   */
  poll(): Promise<void> {
    const { target, source, metrics, logger } = this.deps;
    if (this.inFlight) {
      this.status.skippedPolls++;
      metrics.countSkippedPoll(target, source.name);
      logger.warn(
        { target: target.name, source: source.name },
        "poll skipped: the previous poll of this source is still running",
      );
      return this.inFlight;
    }
    this.inFlight = this.run().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Aborts the poll in flight, if any, and waits for it to settle. */
  async stop(): Promise<void> {
    this.controller?.abort(new Error("exporter shutting down"));
    await this.inFlight;
  }

  private async run(): Promise<void> {
    const { target, source, sink, metrics, logger } = this.deps;
    const controller = new AbortController();
    this.controller = controller;
    const started = this.now();
    const startedHr = process.hrtime.bigint();
    this.status.running = true;
    this.status.lastPollStartMs = started;
    const log = { target: target.name, source: source.name };
    try {
      const outcome = await source.poll(controller.signal);
      const ended = this.now();
      const seconds = secondsSince(startedHr);
      await sink.applySuccess(target, source.name, outcome.jobs as JobsBySource[SourceName][], ended);
      metrics.observePoll(target, source.name, "success", seconds, ended);
      Object.assign(this.status, {
        lastResult: "success",
        lastPollEndMs: ended,
        lastSuccessMs: ended,
        lastDurationSeconds: seconds,
        jobs: outcome.jobs.length,
        jobsByState: countByState(outcome.jobs),
        pages: outcome.pages,
        requests: outcome.requests,
        lastError: undefined,
      } satisfies Partial<SourceStatus>);
      logger.info(
        {
          ...log,
          result: "success",
          jobs: outcome.jobs.length,
          pages: outcome.pages,
          requests: outcome.requests,
          duration_seconds: round3(seconds),
        },
        "poll finished",
      );
    } catch (thrown) {
      const ended = this.now();
      const seconds = secondsSince(startedHr);
      if (controller.signal.aborted) {
        // Shutdown, not a failure of the API: nothing to count, nothing to mark stale.
        logger.info({ ...log, duration_seconds: round3(seconds) }, "poll aborted");
        return;
      }
      const err = toApiError(thrown);
      await sink.applyFailure(target, source.name, ended);
      metrics.countError(target, source.name, err);
      metrics.observePoll(target, source.name, "error", seconds, ended);
      Object.assign(this.status, {
        lastResult: "error",
        lastPollEndMs: ended,
        lastDurationSeconds: seconds,
        lastError: {
          reason: err.reason,
          message: err.message,
          status: err.status,
          code: err.code,
          requestId: err.requestId,
        },
      } satisfies Partial<SourceStatus>);
      const level = isApiError(thrown) ? "warn" : "error";
      logger[level](
        {
          ...log,
          result: "error",
          duration_seconds: round3(seconds),
          error: err.toLogObject(),
          ...(isApiError(thrown) ? {} : { stack: thrown instanceof Error ? thrown.stack : undefined }),
        },
        "poll failed",
      );
    } finally {
      this.status.running = false;
      this.controller = undefined;
    }
  }
}

/**
 * Anything a source throws that is not an ApiError is a bug of ours meeting data we did not
 * expect; it is reported as `invalid_response` so the poll fails cleanly and the last complete
 * data stays.
 */
function toApiError(thrown: unknown): ApiError {
  if (isApiError(thrown)) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new ApiError("invalid_response", `unexpected error while reading the answer: ${message}`, {
    cause: thrown,
  });
}

function countByState(jobs: readonly JobsBySource[SourceName][]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const job of jobs) {
    const state = "state" in job ? job.state : job.status;
    counts[state] = (counts[state] ?? 0) + 1;
  }
  return counts;
}

function secondsSince(startHr: bigint): number {
  return Number(process.hrtime.bigint() - startHr) / 1e9;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
