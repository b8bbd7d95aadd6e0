// Routing: which handler answers which path. Only GETs reach the API handlers; anything else that
// is not the control API (under CONTROL_PREFIX) is the gateway's 404. The table is the one place
// that ties a path to an API name, the name faults and the request log use.

import type { ApiAnswer, PageBending, PageSizeCaps } from "./api/answers.js";
import { listDataArtsJobs } from "./api/dataarts.js";
import { listFlinkJobs } from "./api/flink.js";
import type { RecordWeight } from "./api/heavy.js";
import type { DataArtsOffsetMode } from "./api/paging.js";
import { listSparkBatches, showSparkBatch } from "./api/spark.js";
import type { ApiName } from "./faults.js";
import type { World } from "./world/world.js";

/** The unsigned endpoints tests and benchmarks steer the simulator with. */
export const CONTROL_PREFIX = "/__simulator/";

/** What a handler may read: the request's parts, the world, and how the server pages. */
export interface HandlerInput {
  world: World;
  projectId: string;
  query: URLSearchParams;
  /** The `workspace` header, "" where absent. */
  workspace: string;
  batchId: string;
  caps: PageSizeCaps;
  offsetMode: DataArtsOffsetMode;
  bend: PageBending;
  /** "heavy": every documented field filled, long texts (the benchmark's second world). */
  records: RecordWeight;
}

export interface Route {
  api: ApiName;
  /** The project id in the path, decoded. */
  projectId: string;
  batchId?: string;
  answer(input: HandlerInput): ApiAnswer;
}

const ROUTES: { api: ApiName; pattern: RegExp; answer(input: HandlerInput): ApiAnswer }[] = [
  {
    api: "spark",
    pattern: /^\/v2\.0\/([^/]+)\/batches\/?$/,
    answer: (r) => listSparkBatches(r.world, r.query, r.caps, r.bend, r.records),
  },
  {
    api: "spark_details",
    pattern: /^\/v2\.0\/([^/]+)\/batches\/([^/]+)\/?$/,
    answer: (r) => showSparkBatch(r.world, r.batchId, r.bend, r.records),
  },
  {
    api: "flink",
    pattern: /^\/v1\.0\/([^/]+)\/streaming\/jobs\/?$/,
    answer: (r) => listFlinkJobs(r.world, r.projectId, r.query, r.caps, r.bend, r.records),
  },
  {
    api: "dataarts",
    pattern: /^\/v1\/([^/]+)\/jobs\/?$/,
    answer: (r) => listDataArtsJobs(r.world, r.workspace, r.query, r.caps, r.offsetMode, r.bend, r.records),
  },
];

/** The route for a method and path (without the query), or undefined: the gateway's 404. */
export function matchRoute(method: string | undefined, path: string): Route | undefined {
  if (method !== "GET") return undefined;
  for (const { api, pattern, answer } of ROUTES) {
    const m = pattern.exec(path);
    if (m) {
      const route: Route = { api, projectId: safeDecode(m[1] ?? ""), answer };
      if (m[2] !== undefined) route.batchId = safeDecode(m[2]);
      return route;
    }
  }
  return undefined;
}

/** Splits a request target into its path and its query. */
export function splitUrl(rawUrl: string): { path: string; query: URLSearchParams } {
  const q = rawUrl.indexOf("?");
  return {
    path: q < 0 ? rawUrl : rawUrl.slice(0, q),
    query: new URLSearchParams(q < 0 ? "" : rawUrl.slice(q + 1)),
  };
}

/** A path segment decoded, or as it came when it is not valid percent-encoding. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
