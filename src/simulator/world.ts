// The simulated world: DLI Spark batches, DLI Flink jobs and DataArts Factory jobs stored in the
// APIs' own field names, and the churn that moves them along as `tick(ms)` advances the world's
// clock. Everything random comes from one seeded generator, so a seed and a sequence of calls
// always produce the same world. Jobs written by a test (upsert/update) are pinned: churn
// leaves them exactly as the test set them.

import { Random } from "./random.js";
import { SortedStore } from "./store.js";

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

export interface ChurnSettings {
  /** New Spark batches per hour across the project. */
  sparkArrivalsPerHour: number;
  /** Mean time a new batch waits in `starting`. */
  sparkStartDelayMs: number;
  /** Mean running time of a batch. */
  sparkRunMs: number;
  /** Share of batches that end `dead`. */
  sparkFailureRate: number;
  /** Share of batches that pass through `recovering` once. */
  sparkRecoveringRate: number;
  /** Share of finished batches whose state is capitalised (`Success`), as the real API sometimes does. */
  sparkCapitalisedStateRate: number;
  /** New Flink jobs per day. */
  flinkArrivalsPerDay: number;
  /** Restarts per running Flink job per day. */
  flinkRestartsPerDay: number;
  /** Share of restarts that leave the job in job_running_exception for a while. */
  flinkExceptionRate: number;
  /** Mean time a job stays in job_running_exception before it recovers. */
  flinkRecoverMs: number;
  /** Share of DataArts BATCH instances that fail. */
  dataartsFailureRate: number;
  /** Status changes per DataArts REAL_TIME job per day. */
  dataartsRealtimeChangesPerDay: number;
}

export const DEFAULT_CHURN: ChurnSettings = {
  sparkArrivalsPerHour: 60,
  sparkStartDelayMs: 20_000,
  sparkRunMs: 8 * 60_000,
  sparkFailureRate: 0.12,
  sparkRecoveringRate: 0.05,
  sparkCapitalisedStateRate: 0.05,
  flinkArrivalsPerDay: 24,
  flinkRestartsPerDay: 4,
  flinkExceptionRate: 0.4,
  flinkRecoverMs: 3 * 60_000,
  dataartsFailureRate: 0.08,
  dataartsRealtimeChangesPerDay: 6,
};

export interface JobCounts {
  spark: number;
  flink: number;
  /** Per workspace and job type. */
  dataarts: { BATCH: number; REAL_TIME: number };
}

export interface WorldOptions {
  seed: number;
  startMs: number;
  counts: JobCounts;
  /** Workspace ids; "" is the default workspace. */
  workspaces: readonly string[];
  churn: ChurnSettings | false;
  /** Spread of initial Spark creation times back from the start. */
  sparkHistoryMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
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

interface SparkPlan {
  startAt: number;
  endAt: number;
  outcome: "success" | "dead";
  capitalised: boolean;
  appId: string | string[];
  recoverAt: number;
  recoverUntil: number;
}

interface FlinkPlan {
  nextEventAt: number;
}

interface BatchPlan {
  periodMs: number;
  nextRunAt: number;
  runMs: number;
}

interface RealtimePlan {
  nextEventAt: number;
}

export class Workspace {
  readonly byType: Record<DataArtsJobType, SortedStore<DataArtsJobRecord>> = {
    BATCH: new SortedStore(
      (j) => j.name,
      (j) => j.createTime,
    ),
    REAL_TIME: new SortedStore(
      (j) => j.name,
      (j) => j.createTime,
    ),
  };

  get(name: string): DataArtsJobRecord | undefined {
    return this.byType.BATCH.get(name) ?? this.byType.REAL_TIME.get(name);
  }
}

export class World {
  now: number;
  private rng: Random;
  readonly spark = new SortedStore<SparkSession>(
    (j) => j.id,
    (j) => j.create_time,
  );
  readonly flink = new SortedStore<FlinkJobRecord>(
    (j) => String(j.job_id),
    (j) => j.job_id,
  );
  readonly workspaces = new Map<string, Workspace>();
  private sparkPlans = new Map<string, SparkPlan>();
  private flinkPlans = new Map<number, FlinkPlan>();
  private batchPlans = new Map<DataArtsJobRecord, BatchPlan>();
  private realtimePlans = new Map<DataArtsJobRecord, RealtimePlan>();
  private sparkArrivalDebt = 0;
  private flinkArrivalDebt = 0;
  private nextFlinkId = 10_000;
  private serial = 0;

  constructor(private readonly options: WorldOptions) {
    this.now = options.startMs;
    this.rng = new Random(options.seed);
    this.resetTo(false);
  }

  /** Rebuilds the world from the seed (or empty), at the current world time. */
  resetTo(empty: boolean): void {
    this.rng = new Random(this.options.seed);
    this.spark.clear();
    this.flink.clear();
    this.workspaces.clear();
    this.sparkPlans.clear();
    this.flinkPlans.clear();
    this.batchPlans.clear();
    this.realtimePlans.clear();
    this.sparkArrivalDebt = 0;
    this.flinkArrivalDebt = 0;
    this.nextFlinkId = 10_000;
    for (const id of this.options.workspaces) this.workspaces.set(id, new Workspace());
    if (empty) return;
    const { counts } = this.options;
    // Creation times are drawn first and sorted so every insert is an append.
    const sparkTimes: number[] = [];
    for (let i = 0; i < counts.spark; i++) {
      sparkTimes.push(this.now - Math.floor(this.rng.next() * this.options.sparkHistoryMs));
    }
    for (const created of sparkTimes.sort((a, b) => a - b)) this.addGeneratedSpark(created);
    let created = this.now - 60 * DAY;
    for (let i = 0; i < counts.flink; i++) {
      created += Math.floor(this.rng.next() * ((59 * DAY) / Math.max(1, counts.flink)));
      this.addGeneratedFlink(created, true);
    }
    for (const [id, ws] of this.workspaces) {
      for (const type of ["BATCH", "REAL_TIME"] as const) {
        const times: number[] = [];
        for (let i = 0; i < counts.dataarts[type]; i++) times.push(this.now - this.rng.int(DAY, 180 * DAY));
        times.sort((a, b) => a - b);
        for (const [i, createTime] of times.entries()) this.addGeneratedDataArts(id, ws, type, i, createTime);
      }
    }
  }

  // --- Spark -------------------------------------------------------------------------------

  private addGeneratedSpark(createdAt: number): SparkSession {
    const rng = this.rng;
    const churn = this.options.churn || DEFAULT_CHURN;
    const queue = rng.pick(QUEUES);
    const name = `${rng.pick(SPARK_NAMES)}_${this.serial++}`;
    const feature = rng.weighted({ basic: 80, custom: 12, ai: 8 });
    const sparkVersion = rng.pick(SPARK_VERSIONS);
    const diesBeforeStart = rng.chance(churn.sparkFailureRate * 0.25);
    const startAt = createdAt + Math.floor(rng.exponential(churn.sparkStartDelayMs));
    const endAt = diesBeforeStart ? startAt : startAt + Math.floor(rng.exponential(churn.sparkRunMs)) + 1000;
    const appIdText = `application_${createdAt}_${String(rng.int(1, 9999)).padStart(4, "0")}`;
    const recovers = rng.chance(churn.sparkRecoveringRate);
    const recoverAt = recovers
      ? startAt + Math.floor((endAt - startAt) * rng.next())
      : Number.POSITIVE_INFINITY;
    const plan: SparkPlan = {
      startAt,
      endAt,
      outcome: diesBeforeStart || rng.chance(churn.sparkFailureRate) ? "dead" : "success",
      capitalised: rng.chance(churn.sparkCapitalisedStateRate),
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
    this.sparkPlans.set(job.id, plan);
    this.advanceSpark(job, plan);
    this.spark.put(job);
    return job;
  }

  /** Brings one planned batch up to the world's now; returns false once it is final. */
  private advanceSpark(job: SparkSession, plan: SparkPlan): boolean {
    const now = this.now;
    if (now < plan.startAt) {
      job.state = "starting";
      return true;
    }
    if (now < plan.endAt) {
      job.appId = plan.appId;
      job.state = now >= plan.recoverAt && now < plan.recoverUntil ? "recovering" : "running";
      job.duration = now - plan.startAt;
      job.update_time = now;
      return true;
    }
    const started = plan.endAt > plan.startAt;
    job.appId = started ? plan.appId : null;
    const state = plan.outcome;
    job.state = plan.capitalised ? state.charAt(0).toUpperCase() + state.slice(1) : state;
    job.duration = plan.endAt - plan.startAt;
    job.update_time = plan.endAt;
    if (plan.outcome === "dead") job.log = [...job.log, "Job failed: exit code 1"];
    this.sparkPlans.delete(job.id);
    return false;
  }

  /** Test hook: the job stops evolving. */
  pinSpark(id: string): void {
    this.sparkPlans.delete(id);
  }

  // --- Flink -------------------------------------------------------------------------------

  private addGeneratedFlink(createdAt: number, initial: boolean): FlinkJobRecord {
    const rng = this.rng;
    this.nextFlinkId += rng.int(1, 3);
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
      job_id: this.nextFlinkId,
      name: `${rng.pick(FLINK_NAMES)}_${this.serial++}`,
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
      const end = running ? this.now : Math.min(this.now, startTime + Math.floor(rng.exponential(5 * DAY)));
      job.duration = Math.max(0, end - startTime);
      job.update_time = running ? this.now : Math.max(job.update_time, end);
    }
    this.flink.put(job);
    this.scheduleFlink(job);
    return job;
  }

  private scheduleFlink(job: FlinkJobRecord): void {
    const churn = this.options.churn || DEFAULT_CHURN;
    const rng = this.rng;
    let delay: number | undefined;
    if (job.status === "job_running")
      delay = rng.exponential(DAY / Math.max(1e-9, churn.flinkRestartsPerDay));
    else if (job.status === "job_running_exception") delay = rng.exponential(churn.flinkRecoverMs);
    else if (job.status === "job_submitting") delay = rng.exponential(30_000);
    if (delay === undefined) this.flinkPlans.delete(job.job_id);
    else this.flinkPlans.set(job.job_id, { nextEventAt: this.now + Math.floor(delay) });
  }

  private advanceFlink(job: FlinkJobRecord, plan: FlinkPlan): void {
    const churn = this.options.churn || DEFAULT_CHURN;
    const target = this.now;
    for (let guard = 0; plan.nextEventAt <= target && guard < 1000; guard++) {
      const at = plan.nextEventAt;
      if (job.status === "job_submitting") {
        if (this.rng.chance(0.05)) {
          job.status = "job_submit_fail";
          job.status_desc = "Failed to submit the job";
        } else {
          job.status = "job_running";
          job.status_desc = "";
          job.start_time = at;
        }
      } else if (job.status === "job_running") {
        job.duration = at - job.start_time;
        job.restart_times++;
        if (this.rng.chance(churn.flinkExceptionRate)) {
          job.status = "job_running_exception";
          job.status_desc = "The job is abnormal";
        }
      } else if (job.status === "job_running_exception") {
        job.status = "job_running";
        job.status_desc = "";
      }
      job.update_time = at;
      const saved = this.now;
      this.now = at;
      this.scheduleFlink(job);
      this.now = saved;
      const next = this.flinkPlans.get(job.job_id);
      if (!next) break;
      plan = next;
    }
    if (job.status === "job_running" && job.start_time > 0) {
      job.duration = target - job.start_time;
      job.update_time = target;
    }
  }

  pinFlink(jobId: number): void {
    this.flinkPlans.delete(jobId);
  }

  allocateFlinkId(): number {
    this.nextFlinkId = Math.max(this.nextFlinkId, ...(this.flink.size ? [this.lastFlinkId()] : [])) + 1;
    return this.nextFlinkId;
  }

  private lastFlinkId(): number {
    const all = this.flink.all();
    return all.length ? (all[all.length - 1] as FlinkJobRecord).job_id : 0;
  }

  // --- DataArts ----------------------------------------------------------------------------

  private addGeneratedDataArts(
    workspaceId: string,
    ws: Workspace,
    type: DataArtsJobType,
    index: number,
    createTime: number,
  ): DataArtsJobRecord {
    const rng = this.rng;
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
      const lastRun = this.now - phase - periodMs;
      job.startTime = createTime;
      job.lastInstanceEndTime = lastRun + runMs;
      job.lastInstanceStatus = rng.weighted(LAST_INSTANCE_WEIGHTS);
      if (job.status === "SCHEDULING") {
        this.batchPlans.set(job, { periodMs, runMs, nextRunAt: lastRun + periodMs });
      }
    } else {
      job.startTime = job.status === "STOPPED" ? createTime : this.now - rng.int(60_000, 30 * DAY);
      if (job.status === "STOPPED") job.endTime = this.now - rng.int(60_000, DAY);
      this.realtimePlans.set(job, { nextEventAt: this.now + this.realtimeDelay() });
    }
    ws.byType[type].put(job);
    if (type === "BATCH") this.advanceBatch(job);
    return job;
  }

  private realtimeDelay(): number {
    const churn = this.options.churn || DEFAULT_CHURN;
    return Math.floor(this.rng.exponential(DAY / Math.max(1e-9, churn.dataartsRealtimeChangesPerDay)));
  }

  private advanceBatch(job: DataArtsJobRecord): void {
    const plan = this.batchPlans.get(job);
    if (!plan) return;
    const churn = this.options.churn || DEFAULT_CHURN;
    const now = this.now;
    for (let guard = 0; guard < 3; guard++) {
      if (now < plan.nextRunAt) return;
      let runEnd = plan.nextRunAt + plan.runMs;
      if (now < runEnd) {
        job.lastInstanceStatus = "running";
        return;
      }
      // Runs that ended while nobody looked: only the latest one is visible in the list.
      const skipped = Math.floor((now - runEnd) / plan.periodMs);
      if (skipped > 0) {
        plan.nextRunAt += skipped * plan.periodMs;
        runEnd = plan.nextRunAt + plan.runMs;
      }
      job.lastInstanceEndTime = runEnd;
      job.lastInstanceStatus = this.rng.chance(churn.dataartsFailureRate)
        ? "fail"
        : this.rng.chance(0.01)
          ? "running-exception"
          : "success";
      plan.nextRunAt += plan.periodMs;
    }
  }

  private advanceRealtime(job: DataArtsJobRecord, plan: RealtimePlan): void {
    for (let guard = 0; plan.nextEventAt <= this.now && guard < 100; guard++) {
      const at = plan.nextEventAt;
      const next: Record<string, string> = {
        NORMAL: this.rng.chance(0.6) ? "EXCEPTION" : "STOPPING",
        EXCEPTION: "NORMAL",
        STOPPING: "STOPPED",
        STOPPED: "STARTING",
        STARTING: "NORMAL",
      };
      const status = next[job.status] ?? "NORMAL";
      job.status = status;
      job.lastUpdateTime = at;
      if (status === "STARTING") {
        job.startTime = at;
        delete job.endTime;
      }
      if (status === "STOPPED") job.endTime = at;
      // Transitional states pass quickly; stable ones wait for the next random event.
      const quick = status === "STARTING" || status === "STOPPING";
      plan.nextEventAt = at + (quick ? this.rng.int(10_000, 90_000) : this.realtimeDelay());
    }
  }

  pinDataArts(job: DataArtsJobRecord): void {
    this.batchPlans.delete(job);
    this.realtimePlans.delete(job);
  }

  // --- Time --------------------------------------------------------------------------------

  /** Advances the world clock by ms and lets every planned job catch up. */
  tick(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms))
      throw new RangeError(`tick: ms must be a finite number >= 0, got ${ms}`);
    const before = this.now;
    this.now = before + ms;
    const churn = this.options.churn;
    if (!churn) return;

    this.sparkArrivalDebt += (churn.sparkArrivalsPerHour * ms) / HOUR;
    const sparkArrivals: number[] = [];
    while (this.sparkArrivalDebt >= 1) {
      this.sparkArrivalDebt -= 1;
      sparkArrivals.push(before + Math.floor(this.rng.next() * ms));
    }
    for (const at of sparkArrivals.sort((a, b) => a - b)) this.addGeneratedSpark(at);
    let sparkChanged = sparkArrivals.length > 0;
    for (const [id, plan] of this.sparkPlans) {
      const job = this.spark.get(id);
      if (!job) {
        this.sparkPlans.delete(id);
        continue;
      }
      this.advanceSpark(job, plan);
      sparkChanged = true;
    }
    if (sparkChanged) this.spark.version++;

    this.flinkArrivalDebt += (churn.flinkArrivalsPerDay * ms) / DAY;
    while (this.flinkArrivalDebt >= 1) {
      this.flinkArrivalDebt -= 1;
      this.nextFlinkId = Math.max(this.nextFlinkId, this.lastFlinkId());
      this.addGeneratedFlink(before + Math.floor(this.rng.next() * ms), false);
    }
    for (const [jobId, plan] of this.flinkPlans) {
      const job = this.flink.get(String(jobId));
      if (!job) {
        this.flinkPlans.delete(jobId);
        continue;
      }
      this.advanceFlink(job, plan);
    }
    this.flink.version++;

    for (const job of this.batchPlans.keys()) this.advanceBatch(job);
    for (const [job, plan] of this.realtimePlans) this.advanceRealtime(job, plan);
    for (const ws of this.workspaces.values()) {
      ws.byType.BATCH.version++;
      ws.byType.REAL_TIME.version++;
    }
  }
}
