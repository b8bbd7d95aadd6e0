// From the API's record to the normalised job: the one place a raw DataArts job is read.

import type { DataArtsJobRecord } from "./api.js";
import type { DataArtsJob } from "./job.js";

export function normaliseDataArtsJob(
  record: DataArtsJobRecord,
  workspace: string,
  requestedJobType: string,
): DataArtsJob {
  const status = record.status?.trim().toLowerCase();
  const endMs = record.lastInstanceEndTime;
  return {
    workspace,
    name: record.name,
    jobType: record.jobType ? record.jobType : requestedJobType,
    status: status ? status : "unknown",
    owner: record.owner ?? "",
    path: record.path ?? "",
    priority: record.priority ?? "",
    lastInstanceStatus: record.lastInstanceStatus?.trim().toLowerCase() ?? "",
    // 0 is what a job that never ran would carry: no instance has ended.
    lastInstanceEndMs: endMs !== undefined && endMs > 0 ? endMs : undefined,
    createdMs: record.createTime !== undefined && record.createTime > 0 ? record.createTime : undefined,
  };
}
