// DLI Flink: the job list, from the world in the API page's field names.

import type { FlinkJobRecord } from "../world/jobs.js";
import type { World } from "../world/world.js";
import { type ApiAnswer, dliError, type PageBending, type PageSizeCaps } from "./answers.js";
import { heavyFlink, type RecordWeight } from "./heavy.js";
import { FLINK_DEFAULT_LIMIT, ParamError, pickPage, readInt } from "./paging.js";

function flinkRow(
  job: FlinkJobRecord,
  projectId: string,
  showDetail: boolean,
  weight: RecordWeight,
): Record<string, unknown> {
  const row: Record<string, unknown> = {
    job_id: job.job_id,
    name: job.name,
    desc: job.desc,
    job_type: job.job_type,
    status: job.status,
    status_desc: job.status_desc,
    create_time: job.create_time,
    start_time: job.start_time,
    queue_name: job.queue_name,
    restart_times: job.restart_times,
    graph_editor_enabled: job.graph_editor_enabled,
    has_savepoint: job.has_savepoint,
  };
  // The doc lists these per show_detail value: duration, root_id, user_name and update_time only
  // come without details; user_id, project_id and run_mode only with them.
  if (showDetail) {
    row.user_id = job.user_id;
    row.project_id = projectId;
    row.run_mode = job.run_mode;
  } else {
    row.user_name = job.user_name;
    row.duration = job.duration;
    row.root_id = job.root_id;
    row.update_time = job.update_time;
  }
  if (weight === "heavy") Object.assign(row, heavyFlink(job, showDetail));
  return row;
}

/** GET /v1.0/{project_id}/streaming/jobs */
export function listFlinkJobs(
  world: World,
  projectId: string,
  query: URLSearchParams,
  caps: PageSizeCaps,
  bend: PageBending = {},
  weight: RecordWeight = "standard",
): ApiAnswer {
  let offset: number;
  let limit: number;
  try {
    offset = readInt(query, "offset", 0, 0);
    limit = Math.min(readInt(query, "limit", FLINK_DEFAULT_LIMIT, 1), caps.flink);
  } catch (err) {
    if (err instanceof ParamError) return dliError("DLI.0001", `Parameter check failed: ${err.message}`);
    throw err;
  }
  const order = query.get("order") || "desc";
  if (order !== "asc" && order !== "desc") {
    return dliError("DLI.0001", "Parameter check failed: order must be asc or desc");
  }
  const showDetailRaw = query.get("show_detail");
  if (showDetailRaw !== null && showDetailRaw !== "true" && showDetailRaw !== "false") {
    return dliError("DLI.0001", "Parameter check failed: show_detail must be true or false");
  }
  const showDetail = showDetailRaw === "true";
  let view: readonly FlinkJobRecord[] = world.flink.all();
  const status = query.get("status");
  const queue = query.get("queue_name");
  const name = query.get("name");
  const userName = query.get("user_name");
  const jobType = query.get("job_type");
  if (status || queue || name || userName || jobType) {
    view = view.filter(
      (j) =>
        (!status || j.status === status) &&
        (!queue || j.queue_name === queue) &&
        (!name || j.name.includes(name)) &&
        (!userName || j.user_name === userName) &&
        (!jobType || j.job_type === jobType),
    );
  }
  const first = bend.ignoreOffset ? 0 : bend.duplicatePage ? Math.max(0, offset - limit) : offset;
  const page = bend.emptyPage ? [] : pickPage(view, 0, view.length, order === "desc", first, limit);
  const jobList: Record<string, unknown> = { total_count: view.length + (bend.totalDelta ?? 0) };
  jobList.jobs = page.map((j) => flinkRow(j, projectId, showDetail, weight));
  const body: Record<string, unknown> = {
    is_success: "true",
    message: "Querying of the job list succeeds.",
  };
  if (!bend.wrongShape) body.job_list = jobList;
  return { status: 200, body };
}
