// The normalised DLI Flink job: what every stage after the API speaks.

/** A DLI Flink job, normalised from `GET /v1.0/{project_id}/streaming/jobs`. */
export interface FlinkJob {
  /** The API's integer `job_id` as decimal text. */
  id: string;
  name: string;
  /** `queue_name`. */
  queue: string;
  jobType: string;
  userName: string;
  /** Lower-cased API status (`job_running`, ...). */
  status: string;
  createdMs: number | undefined;
  /** undefined while the API's `start_time` is 0 or missing. */
  startMs: number | undefined;
  durationMs: number | undefined;
  /** `restart_times`; 0 where missing. */
  restarts: number;
}
