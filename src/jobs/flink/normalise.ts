// From the API's record to the normalised job: the one place a raw Flink job is read.

import type { FlinkJobRecord } from "./api.js";
import type { FlinkJob } from "./job.js";

export function normaliseFlinkJob(record: FlinkJobRecord): FlinkJob {
  const status = record.status?.trim().toLowerCase();
  return {
    id: record.job_id,
    name: record.name ?? "",
    queue: record.queue_name ?? "",
    jobType: record.job_type ?? "",
    userName: record.user_name ?? "",
    status: status ? status : "unknown",
    createdMs: record.create_time,
    // 0 means "not started yet" in this API.
    startMs: record.start_time !== undefined && record.start_time > 0 ? record.start_time : undefined,
    durationMs: record.duration,
    // Served as a counter: a negative or fractional count from the API is not one.
    restarts: Math.max(0, Math.floor(record.restart_times ?? 0)),
  };
}
