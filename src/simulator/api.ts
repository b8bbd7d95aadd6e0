// The three list APIs and the Spark details call, answering from the world in the shapes and
// field names of the official API pages. Each handler returns a status and a JSON-able body; the
// HTTP layer decides how the bytes travel (and whether a fault spoils them).

import {
  DATAARTS_ACCEPTED_LIMIT,
  DATAARTS_DEFAULT_LIMIT,
  type DataArtsOffsetMode,
  dataartsFirstRecord,
  FLINK_DEFAULT_LIMIT,
  ParamError,
  pickPage,
  readInt,
  SPARK_DEFAULT_SIZE,
} from "./paging.js";
import type { DataArtsJobRecord, DataArtsJobType, FlinkJobRecord, SparkSession, World } from "./world.js";

/** Filtered Spark listings by store, valid while the store's version is unchanged. */
const filteredViews = new WeakMap<
  object,
  { version: number; byFilter: Map<string, readonly SparkSession[]> }
>();

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** How a fault bends an otherwise correct list answer. */
export interface PageBending {
  ignoreOffset?: boolean;
  duplicatePage?: boolean;
  emptyPage?: boolean;
  totalDelta?: number;
  wrongShape?: boolean;
}

export interface PageSizeCaps {
  spark: number;
  flink: number;
  dataarts: number;
}

export function dliError(code: string, message: string, status = 400): ApiAnswer {
  return { status, body: { error_code: code, error_msg: message } };
}

function dlfError(message: string): ApiAnswer {
  return { status: 400, body: { error_code: "DLF.3051", error_msg: message } };
}

const SPARK_ORDERS = ["CREATE_TIME_DESC", "CREATE_TIME_ASC", "DURATION_DESC", "DURATION_ASC"] as const;

function sparkListRow(job: SparkSession): Record<string, unknown> {
  return {
    duration: job.duration,
    id: job.id,
    state: job.state,
    appId: job.appId,
    log: job.log,
    sc_type: job.sc_type,
    cluster_name: job.cluster_name,
    create_time: job.create_time,
    name: job.name,
    owner: job.owner,
    proxyUser: job.proxyUser,
    kind: job.kind,
    queue: job.queue,
    image: job.image,
    req_body: job.req_body,
    update_time: job.update_time,
  };
}

/** GET /v2.0/{project_id}/batches */
export function listSparkBatches(
  world: World,
  query: URLSearchParams,
  caps: PageSizeCaps,
  bend: PageBending = {},
): ApiAnswer {
  let from: number;
  let size: number;
  let start: number;
  let end: number;
  try {
    from = readInt(query, "from", 0, 0);
    size = Math.min(readInt(query, "size", SPARK_DEFAULT_SIZE, 1), caps.spark);
    start = readInt(query, "start", Number.MIN_SAFE_INTEGER, 0);
    end = readInt(query, "end", Number.MAX_SAFE_INTEGER, 0);
  } catch (err) {
    if (err instanceof ParamError) return dliError("DLI.0001", `Parameter check failed: ${err.message}`);
    throw err;
  }
  const order = query.get("order") || "CREATE_TIME_DESC";
  if (!SPARK_ORDERS.includes(order as (typeof SPARK_ORDERS)[number])) {
    return dliError("DLI.0001", `Parameter check failed: order must be one of ${SPARK_ORDERS.join(", ")}`);
  }
  const store = world.spark;
  const all = store.all();
  // Creation-time range by binary search: the exporter sends `start` on every page.
  let lo = store.lowerBound(start);
  let hi = store.upperBound(end);
  if (hi < lo) hi = lo;
  let view: readonly SparkSession[] = all;
  const state = query.get("state")?.toLowerCase();
  const queue = query.get("queue_name") || query.get("cluster_name");
  const jobName = query.get("job_name");
  const jobId = query.get("job-id") || query.get("job_id");
  const owner = query.get("owner");
  if (state || queue || jobName || jobId || owner) {
    // The same filter is asked for page after page: filter once per change of the store.
    const filterKey = JSON.stringify([lo, hi, state, queue, jobName, jobId, owner]);
    let views = filteredViews.get(store);
    if (views === undefined || views.version !== store.version) {
      views = { version: store.version, byFilter: new Map() };
      filteredViews.set(store, views);
    }
    let filtered = views.byFilter.get(filterKey);
    if (filtered === undefined) {
      filtered = all
        .slice(lo, hi)
        .filter(
          (j) =>
            (!state || j.state.toLowerCase() === state) &&
            (!queue || j.queue === queue) &&
            (!jobName || j.name.includes(jobName)) &&
            (!jobId || j.id === jobId) &&
            (!owner || j.owner === owner),
        );
      if (views.byFilter.size >= 64) views.byFilter.clear();
      views.byFilter.set(filterKey, filtered);
    }
    view = filtered;
    lo = 0;
    hi = view.length;
  }
  let descending = order !== "CREATE_TIME_ASC";
  if (order.startsWith("DURATION")) {
    view = view.slice(lo, hi).sort((a, b) => a.duration - b.duration || (a.id < b.id ? -1 : 1));
    lo = 0;
    hi = view.length;
    descending = order === "DURATION_DESC";
  }
  const total = hi - lo;
  const first = bend.ignoreOffset ? 0 : bend.duplicatePage ? Math.max(0, from - size) : from;
  const page = bend.emptyPage ? [] : pickPage(view, lo, hi, descending, first, size);
  const body: Record<string, unknown> = {
    from,
    total: total + (bend.totalDelta ?? 0),
    create_time: world.now,
  };
  if (!bend.wrongShape) body.sessions = page.map(sparkListRow);
  return { status: 200, body };
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** GET /v2.0/{project_id}/batches/{batch_id} */
export function showSparkBatch(world: World, batchId: string, bend: PageBending = {}): ApiAnswer {
  if (!UUID.test(batchId)) {
    return dliError("DLI.0001", "Parameter check failed: batch_id must be a UUID");
  }
  const job = world.spark.get(batchId);
  if (!job) return dliError("DLI.0002", `The batch job does not exist: ${batchId}`);
  if (bend.wrongShape) return { status: 200, body: [] };
  return {
    status: 200,
    body: { ...sparkListRow(job), feature: job.feature, spark_version: job.spark_version },
  };
}

function flinkRow(job: FlinkJobRecord, projectId: string, showDetail: boolean): Record<string, unknown> {
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
  return row;
}

/** GET /v1.0/{project_id}/streaming/jobs */
export function listFlinkJobs(
  world: World,
  projectId: string,
  query: URLSearchParams,
  caps: PageSizeCaps,
  bend: PageBending = {},
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
  jobList.jobs = page.map((j) => flinkRow(j, projectId, showDetail));
  const body: Record<string, unknown> = {
    is_success: "true",
    message: "Querying of the job list succeeds.",
  };
  if (!bend.wrongShape) body.job_list = jobList;
  return { status: 200, body };
}

function dataartsRow(job: DataArtsJobRecord): Record<string, unknown> {
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
  row.path = job.path;
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
  if (!bend.wrongShape) body.jobs = page.map(dataartsRow);
  return { status: 200, body };
}
