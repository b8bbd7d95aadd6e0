// Shared vocabulary of the exporter: the normalised jobs every source produces and the
// outcome of one poll. Everything downstream of a source (state, metrics, server) speaks
// only these types, never the API's raw shapes.

export const SOURCES = ["spark", "flink", "dataarts"] as const;
export type SourceName = (typeof SOURCES)[number];

/** A DLI Spark batch job, normalised from `GET /v2.0/{project_id}/batches`. */
export interface SparkJob {
  /** UUID, the API's `id`. */
  id: string;
  name: string;
  /** The API's `queue`, or `cluster_name` where `queue` is empty. */
  queue: string;
  owner: string;
  proxyUser: string;
  /** The API's `kind`. */
  kind: string;
  scType: string;
  /** `appId`, joined with "," when the API sends an array. */
  appId: string;
  /** Lower-cased API state (`starting`, `running`, `recovering`, `success`, `dead`, or anything else the API sends). */
  state: string;
  /** Epoch milliseconds; undefined where the API sent none. */
  createdMs: number | undefined;
  updatedMs: number | undefined;
  durationMs: number | undefined;
  /** From the details call; "" until known or when details are off. */
  sparkVersion: string;
  feature: string;
}

/** A DLI Flink job, normalised from `GET /v1.0/{project_id}/streaming/jobs`. */
export interface FlinkJob {
  /** The API's integer `job_id` as decimal text. */
  id: string;
  name: string;
  /** `queue_name`. */
  queue: string;
  jobType: string;
  userName: string;
  /** Lower-cased API status (`job_running`, ...). */
  status: string;
  createdMs: number | undefined;
  /** undefined while the API's `start_time` is 0 or missing. */
  startMs: number | undefined;
  durationMs: number | undefined;
  /** `restart_times`; 0 where missing. */
  restarts: number;
}

/** A DataArts Studio Factory job, normalised from `GET /v1/{project_id}/jobs`. */
export interface DataArtsJob {
  /** The configured workspace id, or `default` where none is configured. */
  workspace: string;
  name: string;
  /** `BATCH` or `REAL_TIME`, as the API spells it. */
  jobType: string;
  /** Lower-cased API status (`normal`, `scheduling`, ...). */
  status: string;
  owner: string;
  path: string;
  /** `priority` as decimal text, "" where missing. */
  priority: string;
  /** BATCH only: lower-cased `lastInstanceStatus`, "" where missing. */
  lastInstanceStatus: string;
  /** BATCH only: `lastInstanceEndTime` in epoch milliseconds. */
  lastInstanceEndMs: number | undefined;
}

export interface JobsBySource {
  spark: SparkJob;
  flink: FlinkJob;
  dataarts: DataArtsJob;
}

/** What a successful poll of one source of one target returns: every job, complete. */
export interface PollOutcome<J> {
  jobs: J[];
  /** Pages fetched (list calls), for logs and the landing page. */
  pages: number;
  /** HTTP requests sent, retries and details calls included. */
  requests: number;
}

/** Identity of a configured target, carried on every series. */
export interface TargetIdentity {
  name: string;
  region: string;
  projectId: string;
}
