// Pipelines (metrics contract v2, "pipelines"): the rules both sources share, pure. How a
// finished run moves one pipeline's history, the median of its typical run, and which
// expectation of the configuration applies to it. The served collection is pipeline.ts.

import type { SourceName } from "./model.js";

/** The sources with pipelines. */
export const PIPELINE_SOURCES: readonly SourceName[] = ["spark", "dataarts"];

/** Successful runs whose durations make the typical one (the contract's "last 20"). */
export const TYPICAL_RUNS = 20;

/** The history of one pipeline. Times are epoch milliseconds, durations seconds. */
export interface PipelineHistory {
  /** Creation of the earliest run seen (Spark), the job's creation or first sight (DataArts). */
  firstSeenMs: number;
  /** The latest creation or finish of any run: the `max_per_source` guard forgets the lowest first. */
  lastRunMs: number;
  lastSuccessMs: number | undefined;
  lastFailureMs: number | undefined;
  /** Finish time of the latest finished run, and that run's duration. */
  lastFinishMs: number | undefined;
  lastRunDuration: number | undefined;
  /** Finished runs ending in failure after the latest success, in finish-time order. */
  consecutiveFailures: number;
  /** Durations of the last TYPICAL_RUNS successful runs seen, oldest first. */
  durations: number[];
  /** Median of `durations`; undefined before the first. */
  typicalDuration: number | undefined;
}

export type RunOutcome = "success" | "failure";

/** One run seen finishing, before it is applied to its pipeline. */
export interface FinishedRun {
  outcome: RunOutcome;
  finishMs: number;
  /** Seconds; undefined where the API says nothing of it. */
  duration: number | undefined;
}

export function newHistory(firstSeenMs: number): PipelineHistory {
  return {
    firstSeenMs,
    lastRunMs: firstSeenMs,
    lastSuccessMs: undefined,
    lastFailureMs: undefined,
    lastFinishMs: undefined,
    lastRunDuration: undefined,
    consecutiveFailures: 0,
    durations: [],
    typicalDuration: undefined,
  };
}

/** The middle value (the mean of the two middle ones for an even count); undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Moves `history` by one finished run. Runs are applied in finish-time order within a poll; a
 * run seen late with a finish time before the latest success moves neither the streak nor the
 * last success (it is history already overtaken).
 */
export function recordFinish(history: PipelineHistory, run: FinishedRun): void {
  const { finishMs, duration } = run;
  history.lastRunMs = Math.max(history.lastRunMs, finishMs);
  if (history.lastFinishMs === undefined || finishMs >= history.lastFinishMs) {
    history.lastFinishMs = finishMs;
    history.lastRunDuration = duration;
  }
  const afterSuccess = history.lastSuccessMs === undefined || finishMs > history.lastSuccessMs;
  if (run.outcome === "success") {
    if (afterSuccess) {
      history.lastSuccessMs = finishMs;
      history.consecutiveFailures = 0;
    }
    if (duration !== undefined) {
      history.durations.push(duration);
      if (history.durations.length > TYPICAL_RUNS) history.durations.shift();
      history.typicalDuration = median(history.durations);
    }
  } else {
    if (history.lastFailureMs === undefined || finishMs > history.lastFailureMs)
      history.lastFailureMs = finishMs;
    if (afterSuccess) history.consecutiveFailures++;
  }
}

/** A run seen (finished or not): the earliest creation is the first seen, the latest a run. */
export function seeRun(history: PipelineHistory, createdMs: number): void {
  if (createdMs < history.firstSeenMs) history.firstSeenMs = createdMs;
  if (createdMs > history.lastRunMs) history.lastRunMs = createdMs;
}

/** One entry of `pipelines.expectations`, resolved. */
export interface Expectation {
  source: "spark" | "dataarts";
  /** Over the whole name. */
  jobName: RegExp;
  /** DataArts only; absent matches every workspace. */
  workspace: RegExp | undefined;
  maxAgeMs: number;
  /** Spark only. */
  maxRunDurationMs: number | undefined;
}

/** The `pipelines` section, resolved. */
export interface PipelineSettings {
  /** Per target and source; past it the least recently run pipelines are forgotten. */
  maxPerSource: number;
  /** Consecutive failures that make the bundled alert fire (served by no family: rules read it). */
  failingThreshold: number;
  expectations: readonly Expectation[];
}

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  maxPerSource: 20_000,
  failingThreshold: 3,
  expectations: [],
};

/** The first expectation matching a pipeline, or undefined. */
export function matchExpectation(
  expectations: readonly Expectation[],
  source: "spark" | "dataarts",
  jobName: string,
  workspace = "",
): Expectation | undefined {
  for (const expectation of expectations) {
    if (expectation.source !== source) continue;
    if (!expectation.jobName.test(jobName)) continue;
    if (expectation.workspace !== undefined && !expectation.workspace.test(workspace)) continue;
    return expectation;
  }
  return undefined;
}
