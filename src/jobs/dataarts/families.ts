// DataArts Studio Factory job families (metrics contract, "DataArts Studio Factory jobs").

import type { CountTable, Family, JobFamily, Sample } from "../../exposition/family.js";
import { oneHot, optionalSample, seconds } from "../../exposition/family.js";
import { type PipelineRow, pipelineFamily } from "../pipeline.js";
import type { DataArtsJob } from "./job.js";
import { DATAARTS_INSTANCE_STATUSES, dataArtsStatuses, hasLastInstance } from "./states.js";

export interface DataArtsAggregates {
  /** `[workspace, job_type, status]`: jobs per status in the last complete poll, zero-filled. */
  jobs: CountTable;
  /** `[workspace, job_name, job_type, status]`: instances seen ending. */
  instancesFinished: CountTable;
}

const JOB = ["workspace", "job_name", "job_type"] as const;

function jobLabels(job: DataArtsJob): string[] {
  return [job.workspace, job.name, job.jobType];
}

export const dataArtsFamilies: ReadonlyArray<Family<DataArtsJob, DataArtsAggregates>> = [
  {
    kind: "job",
    name: "huaweicloud_dataarts_job_info",
    help: "Information about a DataArts Studio Factory job; value 1.",
    type: "gauge",
    labelNames: [...JOB, "owner", "path", "priority"],
    reads: ["workspace", "name", "jobType", "owner", "path", "priority"],
    fromJob: (job) => [{ labels: [...jobLabels(job), job.owner, job.path, job.priority], value: 1 }],
  },
  {
    kind: "job",
    name: "huaweicloud_dataarts_job_status",
    help: "Status of a DataArts Studio Factory job, one-hot over the statuses of its job type.",
    type: "gauge",
    labelNames: [...JOB, "status"],
    reads: ["workspace", "name", "jobType", "status"],
    fromJob: (job, options) =>
      oneHot(dataArtsStatuses(job.jobType), job.status, options.stateSeries).map(
        ([status, value]): Sample => ({ labels: [...jobLabels(job), status], value }),
      ),
  },
  {
    kind: "job",
    name: "huaweicloud_dataarts_job_last_instance_status",
    help: "Status of the last instance of a DataArts Studio Factory BATCH job, one-hot.",
    type: "gauge",
    labelNames: [...JOB, "status"],
    reads: ["workspace", "name", "jobType", "lastInstanceStatus"],
    fromJob: (job, options) =>
      hasLastInstance(job)
        ? oneHot(DATAARTS_INSTANCE_STATUSES, job.lastInstanceStatus, options.stateSeries).map(
            ([status, value]): Sample => ({ labels: [...jobLabels(job), status], value }),
          )
        : [],
  },
  {
    kind: "job",
    name: "huaweicloud_dataarts_job_last_instance_end_timestamp_seconds",
    help: "When the last instance of a DataArts Studio Factory BATCH job ended, seconds since the epoch.",
    type: "gauge",
    labelNames: JOB,
    reads: ["workspace", "name", "jobType", "lastInstanceEndMs"],
    fromJob: (job) => optionalSample(jobLabels(job), seconds(job.lastInstanceEndMs)),
  },
  {
    kind: "aggregate",
    name: "huaweicloud_dataarts_job_instances_finished_total",
    help: "Instances of a DataArts Studio Factory job seen ending, by the status they ended with.",
    type: "counter",
    labelNames: [...JOB, "status"],
    keepWhenStale: true,
    fromAggregates: (a) => a.instancesFinished.samples(),
  },
  {
    kind: "aggregate",
    name: "huaweicloud_dataarts_jobs",
    help: "DataArts Studio Factory jobs per workspace, job type and status in the last complete poll.",
    type: "gauge",
    labelNames: ["workspace", "job_type", "status"],
    keepWhenStale: false,
    fromAggregates: (a) => a.jobs.samples(),
  },
];

/** BATCH jobs as pipelines, one row each: `[workspace, job_name, job_type]`. */
export const dataArtsPipelineFamilies: ReadonlyArray<JobFamily<PipelineRow>> = [
  pipelineFamily(
    "huaweicloud_dataarts_job_last_success_timestamp_seconds",
    "lastInstanceEndTime of the latest instance of a DataArts BATCH job seen with status success.",
    JOB,
    "lastSuccess",
  ),
  pipelineFamily(
    "huaweicloud_dataarts_job_last_failure_timestamp_seconds",
    "lastInstanceEndTime of the latest instance of a DataArts BATCH job seen with status fail.",
    JOB,
    "lastFailure",
  ),
  pipelineFamily(
    "huaweicloud_dataarts_job_consecutive_failures",
    "Instances of a DataArts BATCH job seen with status fail after its latest success.",
    JOB,
    "consecutiveFailures",
  ),
  pipelineFamily(
    "huaweicloud_dataarts_job_first_seen_timestamp_seconds",
    "createTime of a DataArts BATCH job, else when the exporter first saw it.",
    JOB,
    "firstSeen",
  ),
  pipelineFamily(
    "huaweicloud_dataarts_job_expected_max_age_seconds",
    "The max_age of the pipelines.expectations entry matching a DataArts BATCH job.",
    JOB,
    "expectedMaxAge",
  ),
];
