// The jobs the world holds, in the APIs' own field names (the handlers copy them out as they are).

export interface SparkSession {
  id: string;
  state: string;
  appId: string | string[] | null;
  log: string[];
  sc_type: string;
  cluster_name: string;
  queue: string;
  create_time: number;
  update_time: number;
  duration: number;
  name: string;
  owner: string;
  proxyUser: string;
  kind: string;
  image: string;
  req_body: string;
  /** Details call only. */
  feature: string;
  /** Details call only. */
  spark_version: string;
}

export interface FlinkJobRecord {
  job_id: number;
  name: string;
  desc: string;
  user_name: string;
  job_type: string;
  status: string;
  status_desc: string;
  create_time: number;
  start_time: number;
  duration: number;
  queue_name: string;
  restart_times: number;
  root_id: number;
  graph_editor_enabled: boolean;
  has_savepoint: boolean;
  update_time: number;
  /** show_detail=true only. */
  user_id: string;
  /** show_detail=true only. */
  run_mode: string;
}

export type DataArtsJobType = "BATCH" | "REAL_TIME";

export interface DataArtsJobRecord {
  name: string;
  jobType: DataArtsJobType;
  owner: string;
  priority: number;
  status: string;
  createUser: string;
  createTime: number;
  startTime?: number;
  endTime?: number;
  /** BATCH only. */
  lastInstanceStatus?: string;
  /** BATCH only. */
  lastInstanceEndTime?: number;
  lastUpdateTime: number;
  lastUpdateUser: string;
  path: string;
  singleNodeJobFlag: boolean;
}

export const FLINK_STATUSES = [
  "job_init",
  "job_submitting",
  "job_submit_fail",
  "job_running",
  "job_running_exception",
  "job_downloading",
  "job_idle",
  "job_canceling",
  "job_cancel_success",
  "job_cancel_fail",
  "job_savepointing",
  "job_arrearage_stopped",
  "job_arrearage_recovering",
  "job_finish",
] as const;
