// DLI Spark: the batch list and the details call, from the world in the API page's field names.
// The HTTP layer decides how the bytes travel (and whether a fault spoils them).

import type { SparkSession } from "../world/jobs.js";
import type { World } from "../world/world.js";
import { type ApiAnswer, dliError, type PageBending, type PageSizeCaps } from "./answers.js";
import { heavySpark, type RecordWeight } from "./heavy.js";
import { ParamError, pickPage, readInt, SPARK_DEFAULT_SIZE } from "./paging.js";

/** Filtered Spark listings by store, valid while the store's version is unchanged. */
const filteredViews = new WeakMap<
  object,
  { version: number; byFilter: Map<string, readonly SparkSession[]> }
>();

const SPARK_ORDERS = ["CREATE_TIME_DESC", "CREATE_TIME_ASC", "DURATION_DESC", "DURATION_ASC"] as const;

function sparkListRow(job: SparkSession, weight: RecordWeight = "standard"): Record<string, unknown> {
  const heavy = weight === "heavy" ? heavySpark(job) : undefined;
  return {
    duration: job.duration,
    id: job.id,
    state: job.state,
    appId: job.appId,
    log: heavy?.log ?? job.log,
    sc_type: job.sc_type,
    cluster_name: job.cluster_name,
    create_time: job.create_time,
    name: job.name,
    owner: job.owner,
    proxyUser: job.proxyUser,
    kind: job.kind,
    queue: job.queue,
    image: job.image,
    req_body: heavy?.req_body ?? job.req_body,
    update_time: job.update_time,
  };
}

/** GET /v2.0/{project_id}/batches */
export function listSparkBatches(
  world: World,
  query: URLSearchParams,
  caps: PageSizeCaps,
  bend: PageBending = {},
  weight: RecordWeight = "standard",
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
  // Creation-time range by binary search: the exporter sends `start` on every page.
  let lo = store.lowerBound(start);
  let hi = store.upperBound(end);
  if (hi < lo) hi = lo;
  let view: readonly SparkSession[] = store.all();
  const filtered = filterSparkBatches(store, lo, hi, query);
  if (filtered !== undefined) {
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
  if (!bend.wrongShape) body.sessions = page.map((job) => sparkListRow(job, weight));
  return { status: 200, body };
}

/** The batches in [lo, hi) that pass the query's filters, or undefined when it sets none. */
function filterSparkBatches(
  store: World["spark"],
  lo: number,
  hi: number,
  query: URLSearchParams,
): readonly SparkSession[] | undefined {
  const state = query.get("state")?.toLowerCase();
  const queue = query.get("queue_name") || query.get("cluster_name");
  const jobName = query.get("job_name");
  const jobId = query.get("job-id") || query.get("job_id");
  const owner = query.get("owner");
  if (!(state || queue || jobName || jobId || owner)) return undefined;
  // The same filter is asked for page after page: filter once per change of the store.
  const filterKey = JSON.stringify([lo, hi, state, queue, jobName, jobId, owner]);
  let views = filteredViews.get(store);
  if (views === undefined || views.version !== store.version) {
    views = { version: store.version, byFilter: new Map() };
    filteredViews.set(store, views);
  }
  let filtered = views.byFilter.get(filterKey);
  if (filtered === undefined) {
    filtered = store
      .all()
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
  return filtered;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** GET /v2.0/{project_id}/batches/{batch_id} */
export function showSparkBatch(
  world: World,
  batchId: string,
  bend: PageBending = {},
  weight: RecordWeight = "standard",
): ApiAnswer {
  if (!UUID.test(batchId)) {
    return dliError("DLI.0001", "Parameter check failed: batch_id must be a UUID");
  }
  const job = world.spark.get(batchId);
  if (!job) return dliError("DLI.0002", `The batch job does not exist: ${batchId}`);
  if (bend.wrongShape) return { status: 200, body: [] };
  return {
    status: 200,
    body: { ...sparkListRow(job, weight), feature: job.feature, spark_version: job.spark_version },
  };
}
