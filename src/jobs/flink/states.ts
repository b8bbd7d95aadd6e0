// The statuses of a DLI Flink job and the rules on them, each once: which are known (one-hot
// rows, unknown-state counting) and which mean the job no longer runs (the series guard).

import type { FlinkJob } from "./job.js";

export const FLINK_STATUSES = [
  "job_init",
  "job_submitting",
  "job_submit_fail",
  "job_running",
  "job_running_exception",
  "job_downloading",
  "job_idle",
  "job_canceling",
  "job_cancel_success",
  "job_cancel_fail",
  "job_savepointing",
  "job_arrearage_stopped",
  "job_arrearage_recovering",
  "job_finish",
] as const;

/**
 * Statuses that mean "this job failed": not doing its work although nobody asked it to stop (a
 * runtime exception, a failed submit or cancel, or stopped for arrears). The dashboards, the
 * alert rules and the landing page all read them from here.
 */
export const FLINK_FAILED_STATUSES: readonly string[] = [
  "job_running_exception",
  "job_submit_fail",
  "job_cancel_fail",
  "job_arrearage_stopped",
];

/** Statuses in which a Flink job no longer runs; the series guard drops such jobs first. */
export const FLINK_STOPPED_STATUSES: readonly string[] = [
  "job_submit_fail",
  "job_cancel_success",
  "job_arrearage_stopped",
  "job_finish",
];

/** Label sets `[queue, status]`. */

/** The series guard's order, lowest dropped first: stopped jobs, then by creation. */
export function flinkDropRank(job: FlinkJob): readonly [number, number] {
  return [FLINK_STOPPED_STATUSES.includes(job.status) ? 0 : 1, job.createdMs ?? 0];
}
