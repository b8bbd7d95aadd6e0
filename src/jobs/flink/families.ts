// DLI Flink job families (metrics contract, "DLI Flink jobs").

import type { CountTable, Family, Sample } from "../../exposition/family.js";
import { oneHot, optionalSample, seconds } from "../../exposition/family.js";
import type { FlinkJob } from "./job.js";
import { FLINK_STATUSES } from "./states.js";

export interface FlinkAggregates {
  /** Jobs per queue and status in the last complete poll, zero-filled. */
  jobs: CountTable;
  /** Jobs seen entering a status between two complete polls. */
  statusChanges: CountTable;
}

const JOB = ["queue", "job_id", "job_name"] as const;

function jobLabels(job: FlinkJob): string[] {
  return [job.queue, job.id, job.name];
}

export const flinkFamilies: ReadonlyArray<Family<FlinkJob, FlinkAggregates>> = [
  {
    kind: "job",
    name: "huaweicloud_dli_flink_job_info",
    help: "Information about a DLI Flink job; value 1.",
    type: "gauge",
    labelNames: [...JOB, "job_type", "user_name"],
    reads: ["queue", "id", "name", "jobType", "userName"],
    fromJob: (job) => [{ labels: [...jobLabels(job), job.jobType, job.userName], value: 1 }],
  },
  {
    kind: "job",
    name: "huaweicloud_dli_flink_job_status",
    help: "Status of a DLI Flink job, one-hot over the 14 statuses of the API.",
    type: "gauge",
    labelNames: [...JOB, "status"],
    reads: ["queue", "id", "name", "status"],
    fromJob: (job, options) =>
      oneHot(FLINK_STATUSES, job.status, options.stateSeries).map(
        ([status, value]): Sample => ({ labels: [...jobLabels(job), status], value }),
      ),
  },
  {
    kind: "job",
    name: "huaweicloud_dli_flink_job_duration_seconds",
    help: "Run time of a DLI Flink job as the API reports it.",
    type: "gauge",
    labelNames: JOB,
    reads: ["queue", "id", "name", "durationMs"],
    fromJob: (job) => optionalSample(jobLabels(job), seconds(job.durationMs)),
  },
  {
    kind: "job",
    name: "huaweicloud_dli_flink_job_start_timestamp_seconds",
    help: "When a DLI Flink job last started, seconds since the epoch; absent while it never started.",
    type: "gauge",
    labelNames: JOB,
    reads: ["queue", "id", "name", "startMs"],
    fromJob: (job) => optionalSample(jobLabels(job), seconds(job.startMs)),
  },
  {
    kind: "job",
    name: "huaweicloud_dli_flink_job_created_timestamp_seconds",
    help: "When a DLI Flink job was created, seconds since the epoch.",
    type: "gauge",
    labelNames: JOB,
    reads: ["queue", "id", "name", "createdMs"],
    fromJob: (job) => optionalSample(jobLabels(job), seconds(job.createdMs)),
  },
  {
    kind: "job",
    name: "huaweicloud_dli_flink_job_restarts_total",
    help: "Restarts of a DLI Flink job, the API's restart_times.",
    type: "counter",
    labelNames: JOB,
    reads: ["queue", "id", "name", "restarts"],
    fromJob: (job) => [{ labels: jobLabels(job), value: job.restarts }],
  },
  {
    kind: "aggregate",
    name: "huaweicloud_dli_flink_jobs",
    help: "DLI Flink jobs per queue and status in the last complete poll.",
    type: "gauge",
    labelNames: ["queue", "status"],
    keepWhenStale: false,
    fromAggregates: (a) => a.jobs.samples(),
  },
  {
    kind: "aggregate",
    name: "huaweicloud_dli_flink_job_status_changes_total",
    help: "DLI Flink jobs seen entering a status between two complete polls.",
    type: "counter",
    labelNames: ["queue", "status"],
    keepWhenStale: true,
    fromAggregates: (a) => a.statusChanges.samples(),
  },
];
