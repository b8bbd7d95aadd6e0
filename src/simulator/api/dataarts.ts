// DataArts Factory: the job list of one workspace, from the world in the API page's field names.

import type { DataArtsJobRecord, DataArtsJobType } from "../world/jobs.js";
import type { World } from "../world/world.js";
import { type ApiAnswer, dlfError, type PageBending, type PageSizeCaps } from "./answers.js";
import { heavyDataArtsPath, type RecordWeight } from "./heavy.js";
import {
  DATAARTS_ACCEPTED_LIMIT,
  DATAARTS_DEFAULT_LIMIT,
  type DataArtsOffsetMode,
  dataartsFirstRecord,
  ParamError,
  pickPage,
  readInt,
} from "./paging.js";

function dataartsRow(job: DataArtsJobRecord, weight: RecordWeight): Record<string, unknown> {
  const row: Record<string, unknown> = {
    name: job.name,
    jobType: job.jobType,
    owner: job.owner,
    priority: job.priority,
    status: job.status,
    createUser: job.createUser,
    createTime: job.createTime,
  };
  if (job.startTime !== undefined) row.startTime = job.startTime;
  if (job.endTime !== undefined) row.endTime = job.endTime;
  if (job.jobType === "BATCH") {
    if (job.lastInstanceStatus !== undefined) row.lastInstanceStatus = job.lastInstanceStatus;
    if (job.lastInstanceEndTime !== undefined) row.lastInstanceEndTime = job.lastInstanceEndTime;
  }
  row.lastUpdateTime = job.lastUpdateTime;
  row.lastUpdateUser = job.lastUpdateUser;
  row.path = weight === "heavy" ? heavyDataArtsPath(job) : job.path;
  row.singleNodeJobFlag = job.singleNodeJobFlag;
  return row;
}

/** GET /v1/{project_id}/jobs with header `workspace` */
export function listDataArtsJobs(
  world: World,
  workspace: string,
  query: URLSearchParams,
  caps: PageSizeCaps,
  mode: DataArtsOffsetMode,
  bend: PageBending = {},
  weight: RecordWeight = "standard",
): ApiAnswer {
  const ws = world.workspaces.get(workspace);
  if (!ws) {
    return dlfError(
      workspace === "" ? "Workspace does not exists: no default workspace" : "Workspace does not exists",
    );
  }
  const jobType = (query.get("jobType") || "BATCH") as DataArtsJobType;
  if (jobType !== "BATCH" && jobType !== "REAL_TIME") return dlfError("The request parameter is invalid.");
  let offset: number;
  let limit: number;
  try {
    offset = readInt(query, "offset", 0, 0);
    limit = Math.min(
      readInt(query, "limit", DATAARTS_DEFAULT_LIMIT, 1, DATAARTS_ACCEPTED_LIMIT),
      caps.dataarts,
    );
  } catch (err) {
    if (err instanceof ParamError) return dlfError("The request parameter is invalid.");
    throw err;
  }
  const store = ws.byType[jobType];
  let view: readonly DataArtsJobRecord[] = store.all();
  const jobName = query.get("jobName");
  if (jobName) view = view.filter((j) => j.name.includes(jobName));
  const effectiveOffset = bend.ignoreOffset ? 0 : bend.duplicatePage ? Math.max(0, offset - 1) : offset;
  let first = dataartsFirstRecord(effectiveOffset, limit, mode);
  if (bend.duplicatePage && mode === "offset") first = Math.max(0, offset - limit);
  const page = bend.emptyPage ? [] : pickPage(view, 0, view.length, true, first, limit);
  const body: Record<string, unknown> = { total: view.length + (bend.totalDelta ?? 0) };
  if (!bend.wrongShape) body.jobs = page.map((job) => dataartsRow(job, weight));
  return { status: 200, body };
}
