// DataArts Studio Factory jobs as one source of the exporter: `GET /v1/{project_id}/jobs`.

import type { JobSource } from "../source.js";
import { createDataArtsSource } from "./api.js";
import { type DataArtsAggregates, dataArtsFamilies, dataArtsPipelineFamilies } from "./families.js";
import type { DataArtsJob } from "./job.js";
import { dataArtsProbes } from "./probe.js";
import { DATAARTS_FAILED_INSTANCE_STATUSES, DATAARTS_FAILED_REAL_TIME_STATUSES } from "./states.js";
import { DataArtsTracker } from "./tracker.js";

export const dataarts: JobSource<"dataarts", DataArtsJob, DataArtsAggregates> = {
  name: "dataarts",
  enabled: (target) => target.dataarts.enabled && target.dataarts.jobTypes.length > 0,
  createSource: createDataArtsSource,
  createTracker: (settings) => new DataArtsTracker(settings),
  families: dataArtsFamilies,
  pipelineFamilies: dataArtsPipelineFamilies,
  probes: dataArtsProbes,
  failed: failedDataArtsJob,
};

function failedDataArtsJob(job: DataArtsJob) {
  const name = job.workspace === "default" ? job.name : `${job.workspace}/${job.name}`;
  if (job.jobType === "REAL_TIME" && DATAARTS_FAILED_REAL_TIME_STATUSES.includes(job.status)) {
    return { name, state: job.status, atMs: undefined };
  }
  if (job.jobType === "BATCH" && DATAARTS_FAILED_INSTANCE_STATUSES.includes(job.lastInstanceStatus)) {
    return { name, state: `last instance ${job.lastInstanceStatus}`, atMs: job.lastInstanceEndMs };
  }
  return undefined;
}
