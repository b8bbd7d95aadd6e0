// Generation: a new job drawn from the world's seeded generator, with its plan (what churn will
// do to it). The draws happen in one fixed order: reordering them changes every seeded world, so
// a benchmark or a failing test would no longer replay.

import {
  type BatchPlan,
  type ChurnSettings,
  DAY,
  HOUR,
  type RealtimePlan,
  realtimeDelay,
  type SparkPlan,
} from "./churn.js";
import type { DataArtsJobRecord, DataArtsJobType, FlinkJobRecord, SparkSession } from "./jobs.js";
import type { Random } from "./random.js";

const QUEUES = ["default", "etl_queue", "analytics", "ml_train"];
const OWNERS = ["alice", "bob", "etl_svc", "report_bot"];
const SPARK_NAMES = [
  "daily_etl",
  "user_profile_agg",
  "orders_compaction",
  "报表_汇总",
  "feature_build",
  "dq check",
];
const FLINK_NAMES = ["clickstream", "orders_cdc", "风控_实时", "metrics_rollup", "iot_ingest"];
const DATAARTS_NAMES = ["ods_sync", "dwd_orders", "dws_daily", "数据同步", "ads_report", "dim_users"];
const SPARK_VERSIONS = ["3.3.1", "3.1.1", "2.4.5"];
const PERIODS = [5 * 60_000, 15 * 60_000, HOUR, 6 * HOUR, DAY];
const LAST_INSTANCE_WEIGHTS = {
  success: 85,
  fail: 6,
  "running-exception": 2,
  "manual-stop": 2,
  "skip-by-depend": 2,
  freeze: 1,
  pause: 1,
  waiting: 1,
};

/** A Spark batch created at `createdAt`, still `starting`: the world advances it to now. */
export function drawSpark(
  rng: Random,
  rates: ChurnSettings,
  createdAt: number,
  serial: number,
  /** Names shared by the runs, as scheduled batches do; absent: each run its own name. */
  pipelines?: number,
): { job: SparkSession; plan: SparkPlan } {
  const queue = rng.pick(QUEUES);
  const prefix = rng.pick(SPARK_NAMES);
  const name = pipelines === undefined ? `${prefix}_${serial}` : `scheduled_${serial % pipelines}`;
  const feature = rng.weighted({ basic: 80, custom: 12, ai: 8 });
  const sparkVersion = rng.pick(SPARK_VERSIONS);
  const diesBeforeStart = rng.chance(rates.sparkFailureRate * 0.25);
  const startAt = createdAt + Math.floor(rng.exponential(rates.sparkStartDelayMs));
  const endAt = diesBeforeStart ? startAt : startAt + Math.floor(rng.exponential(rates.sparkRunMs)) + 1000;
  const appIdText = `application_${createdAt}_${String(rng.int(1, 9999)).padStart(4, "0")}`;
  const recovers = rng.chance(rates.sparkRecoveringRate);
  const recoverAt = recovers
    ? startAt + Math.floor((endAt - startAt) * rng.next())
    : Number.POSITIVE_INFINITY;
  const plan: SparkPlan = {
    startAt,
    endAt,
    outcome: diesBeforeStart || rng.chance(rates.sparkFailureRate) ? "dead" : "success",
    capitalised: rng.chance(rates.sparkCapitalisedStateRate),
    appId: rng.chance(0.05) ? [appIdText] : appIdText,
    recoverAt,
    recoverUntil: recoverAt + 30_000,
  };
  const owner = rng.pick(OWNERS);
  const job: SparkSession = {
    id: rng.uuid(),
    state: "starting",
    appId: null,
    log: ["stdout: ", "stderr: ", "YARN Diagnostics: "],
    sc_type: rng.weighted({ A: 50, B: 30, CUSTOMIZED: 20 }),
    cluster_name: queue,
    queue,
    create_time: createdAt,
    update_time: createdAt,
    duration: 0,
    name,
    owner,
    proxyUser: owner,
    kind: "spark",
    image: feature === "custom" ? "myorg/spark-custom:1.2.0" : "",
    req_body: JSON.stringify({
      file: `obs://jobs-bucket/jars/${name}.jar`,
      className: "com.example.Main",
      queue,
      name,
      autoRecovery: recovers,
      maxRetryTimes: recovers ? 3 : 0,
      feature,
      spark_version: sparkVersion,
    }),
    feature,
    spark_version: feature === "custom" ? "" : sparkVersion,
  };
  return { job, plan };
}

/**
 * A Flink job created at `createdAt` with an id a little above `lastId`. Jobs of the initial
 * world get a state of their own; later arrivals start `job_submitting`. Its plan is drawn after.
 */
export function drawFlink(
  rng: Random,
  now: number,
  createdAt: number,
  initial: boolean,
  lastId: number,
  serial: number,
): FlinkJobRecord {
  const jobId = lastId + rng.int(1, 3);
  const status = initial
    ? rng.weighted({
        job_running: 70,
        job_running_exception: 6,
        job_cancel_success: 8,
        job_finish: 4,
        job_init: 3,
        job_submit_fail: 2,
        job_idle: 2,
        job_arrearage_stopped: 1,
        job_submitting: 1,
        job_savepointing: 1,
        job_canceling: 1,
        job_cancel_fail: 1,
      })
    : "job_submitting";
  const started = status !== "job_init" && status !== "job_submitting" && status !== "job_submit_fail";
  const startTime = started ? createdAt + rng.int(5_000, 120_000) : 0;
  const running = status === "job_running" || status === "job_running_exception";
  const job: FlinkJobRecord = {
    job_id: jobId,
    name: `${rng.pick(FLINK_NAMES)}_${serial}`,
    desc: rng.chance(0.5) ? "" : "streaming job",
    user_name: rng.pick(OWNERS),
    job_type: rng.weighted({ flink_opensource_sql_job: 60, flink_sql_job: 15, flink_jar_job: 25 }),
    status,
    status_desc: status === "job_running_exception" ? "The job is abnormal" : "",
    create_time: createdAt,
    start_time: startTime,
    duration: 0,
    queue_name: rng.pick(QUEUES),
    restart_times: running ? Math.floor(rng.exponential(2)) : 0,
    root_id: -1,
    graph_editor_enabled: rng.chance(0.2),
    has_savepoint: rng.chance(0.3),
    update_time: Math.max(createdAt, startTime),
    user_id: rng.hex(32),
    run_mode: rng.weighted({ shared_cluster: 30, exclusive_cluster: 70 }),
  };
  if (started) {
    const end = running ? now : Math.min(now, startTime + Math.floor(rng.exponential(5 * DAY)));
    job.duration = Math.max(0, end - startTime);
    job.update_time = running ? now : Math.max(job.update_time, end);
  }
  return job;
}

/**
 * The `index`-th DataArts job of its type in a workspace. A BATCH job that is scheduling gets a
 * schedule (the world then runs it up to now); a REAL_TIME job always gets a next change.
 */
export function drawDataArts(
  rng: Random,
  rates: ChurnSettings,
  now: number,
  workspaceId: string,
  type: DataArtsJobType,
  index: number,
  createTime: number,
): { job: DataArtsJobRecord; batchPlan?: BatchPlan; realtimePlan?: RealtimePlan } {
  const owner = rng.pick(OWNERS);
  const prefix = workspaceId === "" ? "" : `${workspaceId.slice(0, 6)}_`;
  const job: DataArtsJobRecord = {
    name: `${prefix}${rng.pick(DATAARTS_NAMES)}_${type === "BATCH" ? "b" : "rt"}${index}`,
    jobType: type,
    owner,
    priority: rng.weighted({ "0": 50, "1": 35, "2": 15 }) === "0" ? 0 : rng.int(1, 2),
    status:
      type === "BATCH"
        ? rng.weighted({ SCHEDULING: 85, STOPPED: 10, PAUSED: 5 })
        : rng.weighted({ NORMAL: 75, EXCEPTION: 8, STOPPED: 10, STARTING: 4, STOPPING: 3 }),
    createUser: owner,
    createTime,
    lastUpdateTime: createTime + rng.int(0, DAY),
    lastUpdateUser: owner,
    path: rng.pick(["/", "/ods/", "/dwd/", "/reports/"]),
    singleNodeJobFlag: rng.chance(0.3),
  };
  if (type === "BATCH") {
    const periodMs = rng.pick(PERIODS);
    const runMs = Math.min(periodMs / 2, rng.int(20_000, 10 * 60_000));
    const phase = rng.int(0, periodMs - 1);
    const lastRun = now - phase - periodMs;
    job.startTime = createTime;
    job.lastInstanceEndTime = lastRun + runMs;
    job.lastInstanceStatus = rng.weighted(LAST_INSTANCE_WEIGHTS);
    if (job.status !== "SCHEDULING") return { job };
    return { job, batchPlan: { periodMs, runMs, nextRunAt: lastRun + periodMs } };
  }
  job.startTime = job.status === "STOPPED" ? createTime : now - rng.int(60_000, 30 * DAY);
  if (job.status === "STOPPED") job.endTime = now - rng.int(60_000, DAY);
  return { job, realtimePlan: { nextEventAt: now + realtimeDelay(rng, rates) } };
}
