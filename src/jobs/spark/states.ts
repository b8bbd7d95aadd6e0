// The states of a DLI Spark batch job and the rules on them, each once: which states are
// known, which a job never leaves, how long a finished job keeps its per-job series, and which
// jobs the series guard leaves out first. The page loop (details calls), the tracker (counts,
// served series) and the families (one-hot rows) all read them from here.

import type { SparkJob } from "./job.js";

/** The states the API documents; a job in another state is served and counted as unknown. */
export const SPARK_STATES = ["starting", "running", "recovering", "success", "dead"] as const;
/** States a job can still leave; each gets its own listing so old running jobs are seen. */
export const SPARK_ACTIVE_STATES = ["starting", "running", "recovering"] as const;
/** States a batch job never leaves: its run is over. */
export const SPARK_TERMINAL_STATES: readonly string[] = ["success", "dead"];

/**
 * The state that means "this job failed" (the one terminal failure). The dashboards, the alert
 * rules and the landing page all read it from here.
 */
export const SPARK_FAILED_STATES: readonly string[] = ["dead"];

export function isTerminalSparkState(state: string): boolean {
  return SPARK_TERMINAL_STATES.includes(state);
}

/** When a finished job finished, as well as the API says: its last update, else its creation. */
export function finishedAtMs(job: SparkJob): number | undefined {
  return job.updatedMs ?? job.createdMs;
}

/**
 * Whether a job has per-job series at `nowMs` (the metrics contract, "Cardinality"): while not
 * terminal, and after that while it finished within `finishedRetentionMs`. A finished job with
 * no time at all is served: nothing says it is old. The details calls pick from these jobs.
 */
export function servesPerJobSeries(job: SparkJob, nowMs: number, finishedRetentionMs: number): boolean {
  if (!isTerminalSparkState(job.state)) return true;
  const at = finishedAtMs(job);
  return at === undefined || nowMs - at <= finishedRetentionMs;
}

/**
 * The series guard's order, compared element by element, lowest dropped first: finished jobs
 * by when they finished, then the others by creation.
 */
export function sparkDropRank(job: SparkJob): readonly [number, number] {
  if (isTerminalSparkState(job.state)) return [0, finishedAtMs(job) ?? 0];
  return [1, job.createdMs ?? 0];
}

/** The duration a finished job ran: the API's, else update minus create; undefined when unknown. */
export function finalDurationSeconds(job: SparkJob): number | undefined {
  if (job.durationMs !== undefined) return job.durationMs / 1000;
  if (job.updatedMs !== undefined && job.createdMs !== undefined && job.updatedMs >= job.createdMs) {
    return (job.updatedMs - job.createdMs) / 1000;
  }
  return undefined;
}
