// The statuses of a DataArts Factory job and of its last instance, and the rules on them, each
// once: the known sets per job type (one-hot rows), which instance statuses have ended (counted
// as finished), and which job statuses are idle (the series guard drops those first).

import type { DataArtsJob } from "./job.js";

export const DATAARTS_REAL_TIME_STATUSES = [
  "starting",
  "normal",
  "exception",
  "stopping",
  "stopped",
] as const;
export const DATAARTS_BATCH_STATUSES = ["scheduling", "stopped", "paused"] as const;
/** Job types other than the two documented ones get the union of both sets. */
const DATAARTS_ALL_STATUSES: readonly string[] = [
  ...DATAARTS_REAL_TIME_STATUSES,
  ...DATAARTS_BATCH_STATUSES.filter((s) => s !== "stopped"),
];
export const DATAARTS_INSTANCE_STATUSES = [
  "waiting",
  "running",
  "success",
  "fail",
  "running-exception",
  "pause",
  "manual-stop",
  "skip-by-depend",
  "freeze",
] as const;
/** Instance statuses whose counter series exist at 0 for every BATCH job, so `increase()` sees the first one. */
export const DATAARTS_PRECREATED_INSTANCE_STATUSES: readonly string[] = ["success", "fail"];

/**
 * Failure, read by the dashboards, the alert rules and the landing page: a BATCH job whose last
 * instance ended in one of these, ...
 */
export const DATAARTS_FAILED_INSTANCE_STATUSES: readonly string[] = ["fail", "running-exception"];
/** ... and a REAL_TIME job in one of these (`huaweicloud_dataarts_job_status`). */
export const DATAARTS_FAILED_REAL_TIME_STATUSES: readonly string[] = ["exception"];

/** The known job statuses of a job type. */
export function dataArtsStatuses(jobType: string): readonly string[] {
  if (jobType === "REAL_TIME") return DATAARTS_REAL_TIME_STATUSES;
  if (jobType === "BATCH") return DATAARTS_BATCH_STATUSES;
  return DATAARTS_ALL_STATUSES;
}

/** The last instance is a BATCH notion; a job with no instance yet has no last-instance series. */
export function hasLastInstance(job: DataArtsJob): boolean {
  return job.jobType === "BATCH" && job.lastInstanceStatus !== "";
}

/** An instance in these statuses has not ended: its end time is not a finish. */
const NOT_ENDED: readonly string[] = ["waiting", "running"];
/** Job statuses in which nothing is scheduled. */
const IDLE_STATUSES: readonly string[] = ["stopped", "paused"];

/** Whether the job's last instance has ended, with an end time to count it by. */
export function instanceEnded(job: DataArtsJob): boolean {
  const endMs = job.lastInstanceEndMs;
  return (
    hasLastInstance(job) && !NOT_ENDED.includes(job.lastInstanceStatus) && endMs !== undefined && endMs > 0
  );
}

/** The series guard's order, lowest dropped first: idle jobs, then by their last instance's end. */
export function dataArtsDropRank(job: DataArtsJob): readonly [number, number] {
  return [IDLE_STATUSES.includes(job.status) ? 0 : 1, job.lastInstanceEndMs ?? 0];
}
