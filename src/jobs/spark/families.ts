// DLI Spark batch job families (metrics contract, "DLI Spark batch jobs").

import type { CountTable, Family, HistogramTable, JobFamily, Sample } from "../../exposition/family.js";
import { oneHot, optionalSample, seconds } from "../../exposition/family.js";
import { type PipelineRow, pipelineFamily } from "../pipeline.js";
import type { SparkJob } from "./job.js";
import { SPARK_STATES } from "./states.js";

/**
 * Buckets of the run-duration histogram, in seconds: batch jobs run from seconds to a day,
 * so 10s, 30s, 1m, 2m, 5m, 10m, 20m, 30m, 1h, 2h, 4h, 8h, 12h, 24h.
 */
export const SPARK_RUN_DURATION_BUCKETS: readonly number[] = [
  10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 43200, 86400,
];

/** What the state keeps for the Spark aggregate families, label sets `[queue, state]`. */
export interface SparkAggregates {
  /** Jobs per queue and state in the last complete poll, zero-filled. */
  jobs: CountTable;
  /** Jobs seen entering `success` or `dead`. */
  finished: CountTable;
  /** Final durations of those jobs, seconds. */
  runDurations: HistogramTable;
}

const PIPELINE_LABELS = ["job_name"] as const;

const JOB = ["queue", "job_id", "job_name"] as const;

function jobLabels(job: SparkJob): string[] {
  return [job.queue, job.id, job.name];
}

export const sparkFamilies: ReadonlyArray<Family<SparkJob, SparkAggregates>> = [
  {
    kind: "job",
    name: "huaweicloud_dli_spark_job_info",
    help: "Information about a DLI Spark batch job; value 1.",
    type: "gauge",
    labelNames: [
      "queue",
      "job_id",
      "job_name",
      "owner",
      "proxy_user",
      "kind",
      "sc_type",
      "app_id",
      "spark_version",
      "feature",
    ],
    reads: [
      "queue",
      "id",
      "name",
      "owner",
      "proxyUser",
      "kind",
      "scType",
      "appId",
      "sparkVersion",
      "feature",
    ],
    fromJob: (job) => [
      {
        labels: [
          job.queue,
          job.id,
          job.name,
          job.owner,
          job.proxyUser,
          job.kind,
          job.scType,
          job.appId,
          job.sparkVersion,
          job.feature,
        ],
        value: 1,
      },
    ],
  },
  {
    kind: "job",
    name: "huaweicloud_dli_spark_job_state",
    help: "State of a DLI Spark batch job, one-hot over starting, running, recovering, success, dead.",
    type: "gauge",
    labelNames: [...JOB, "state"],
    reads: ["queue", "id", "name", "state"],
    fromJob: (job, options) =>
      oneHot(SPARK_STATES, job.state, options.stateSeries).map(
        ([state, value]): Sample => ({ labels: [...jobLabels(job), state], value }),
      ),
  },
  {
    kind: "job",
    name: "huaweicloud_dli_spark_job_duration_seconds",
    help: "Run time of a DLI Spark batch job as the API reports it.",
    type: "gauge",
    labelNames: JOB,
    reads: ["queue", "id", "name", "durationMs"],
    fromJob: (job) => optionalSample(jobLabels(job), seconds(job.durationMs)),
  },
  {
    kind: "job",
    name: "huaweicloud_dli_spark_job_created_timestamp_seconds",
    help: "When a DLI Spark batch job was created, seconds since the epoch.",
    type: "gauge",
    labelNames: JOB,
    reads: ["queue", "id", "name", "createdMs"],
    fromJob: (job) => optionalSample(jobLabels(job), seconds(job.createdMs)),
  },
  {
    kind: "job",
    name: "huaweicloud_dli_spark_job_updated_timestamp_seconds",
    help: "When a DLI Spark batch job was last updated, seconds since the epoch.",
    type: "gauge",
    labelNames: JOB,
    reads: ["queue", "id", "name", "updatedMs"],
    fromJob: (job) => optionalSample(jobLabels(job), seconds(job.updatedMs)),
  },
  {
    kind: "aggregate",
    name: "huaweicloud_dli_spark_jobs",
    help: "DLI Spark batch jobs per queue and state in the last complete poll.",
    type: "gauge",
    labelNames: ["queue", "state"],
    keepWhenStale: false,
    fromAggregates: (a) => a.jobs.samples(),
  },
  {
    kind: "aggregate",
    name: "huaweicloud_dli_spark_jobs_finished_total",
    help: "DLI Spark batch jobs seen entering a terminal state (success or dead), each job once.",
    type: "counter",
    labelNames: ["queue", "state"],
    keepWhenStale: true,
    fromAggregates: (a) => a.finished.samples(),
  },
  {
    kind: "aggregate",
    name: "huaweicloud_dli_spark_job_run_duration_seconds",
    help: "Final run time of DLI Spark batch jobs seen finishing, one observation per job.",
    type: "histogram",
    labelNames: ["queue", "state"],
    keepWhenStale: true,
    fromAggregates: (a) => a.runDurations.samples(),
  },
];

/** Pipelines (runs sharing a job name), one row each: `[job_name]`. */
export const sparkPipelineFamilies: ReadonlyArray<JobFamily<PipelineRow>> = [
  pipelineFamily(
    "huaweicloud_dli_spark_pipeline_last_success_timestamp_seconds",
    "Finish time of the latest run of a DLI Spark pipeline (runs sharing a job name) seen ending in success.",
    PIPELINE_LABELS,
    "lastSuccess",
  ),
  pipelineFamily(
    "huaweicloud_dli_spark_pipeline_last_failure_timestamp_seconds",
    "Finish time of the latest run of a DLI Spark pipeline seen ending dead.",
    PIPELINE_LABELS,
    "lastFailure",
  ),
  pipelineFamily(
    "huaweicloud_dli_spark_pipeline_last_run_duration_seconds",
    "Duration of the latest finished run of a DLI Spark pipeline.",
    PIPELINE_LABELS,
    "lastRunDuration",
  ),
  pipelineFamily(
    "huaweicloud_dli_spark_pipeline_typical_run_duration_seconds",
    "Median duration of the last 20 successful runs of a DLI Spark pipeline seen.",
    PIPELINE_LABELS,
    "typicalRunDuration",
  ),
  pipelineFamily(
    "huaweicloud_dli_spark_pipeline_consecutive_failures",
    "Finished runs of a DLI Spark pipeline ending dead after its latest success.",
    PIPELINE_LABELS,
    "consecutiveFailures",
  ),
  pipelineFamily(
    "huaweicloud_dli_spark_pipeline_runs_active",
    "Runs of a DLI Spark pipeline not yet terminal in the last complete poll.",
    PIPELINE_LABELS,
    "runsActive",
  ),
  pipelineFamily(
    "huaweicloud_dli_spark_pipeline_first_seen_timestamp_seconds",
    "Creation time of the earliest run of a DLI Spark pipeline the exporter has seen.",
    PIPELINE_LABELS,
    "firstSeen",
  ),
  pipelineFamily(
    "huaweicloud_dli_spark_pipeline_expected_max_age_seconds",
    "The max_age of the pipelines.expectations entry matching a DLI Spark pipeline.",
    PIPELINE_LABELS,
    "expectedMaxAge",
  ),
  pipelineFamily(
    "huaweicloud_dli_spark_pipeline_expected_max_run_duration_seconds",
    "The max_run_duration of the pipelines.expectations entry matching a DLI Spark pipeline, where set.",
    PIPELINE_LABELS,
    "expectedMaxRunDuration",
  ),
];
