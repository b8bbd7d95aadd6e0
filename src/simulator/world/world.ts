// The world's state: the jobs of the three APIs in sorted stores, the world clock, the seeded
// generator and the plans churn advances. `tick(ms)` moves the clock, adds arrivals and lets every
// plan catch up. A seed and a sequence of calls always produce the same world. Jobs written by a
// test (upsert/update) are pinned: their plans are dropped, so churn leaves them as set.

import {
  advanceBatch,
  advanceFlink,
  advanceRealtime,
  advanceSpark,
  type BatchPlan,
  type ChurnContext,
  type ChurnSettings,
  DAY,
  DEFAULT_CHURN,
  type FlinkPlan,
  HOUR,
  nextFlinkEvent,
  type RealtimePlan,
  type SparkPlan,
} from "./churn.js";
import { drawDataArts, drawFlink, drawSpark } from "./generate.js";
import type { DataArtsJobRecord, DataArtsJobType, FlinkJobRecord, SparkSession } from "./jobs.js";
import { Random } from "./random.js";
import { SortedStore } from "./store.js";

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
  /**
   * Spark runs share this many names, as batches resubmitted by a schedule do (so as many
   * pipelines); absent: every run has a name of its own.
   */
  sparkPipelines?: number;
}

/** One DataArts workspace: a list per job type, as the API lists them. */
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
  /** Numbers generated names; never reset, so names stay unique across resets. */
  private serial = 0;

  constructor(private readonly options: WorldOptions) {
    this.now = options.startMs;
    this.rng = new Random(options.seed);
    this.resetTo(false);
  }

  /** Rates for plans: generated jobs get plans even with churn off (a later tick may not run them). */
  private get rates(): ChurnSettings {
    return this.options.churn || DEFAULT_CHURN;
  }

  private context(): ChurnContext {
    return { now: this.now, rng: this.rng, rates: this.rates };
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
    for (const created of sparkTimes.sort((a, b) => a - b)) this.addSpark(created);
    let created = this.now - 60 * DAY;
    for (let i = 0; i < counts.flink; i++) {
      created += Math.floor(this.rng.next() * ((59 * DAY) / Math.max(1, counts.flink)));
      this.addFlink(created, true);
    }
    for (const [id, ws] of this.workspaces) {
      for (const type of ["BATCH", "REAL_TIME"] as const) {
        const times: number[] = [];
        for (let i = 0; i < counts.dataarts[type]; i++) times.push(this.now - this.rng.int(DAY, 180 * DAY));
        times.sort((a, b) => a - b);
        for (const [i, createTime] of times.entries()) this.addDataArts(id, ws, type, i, createTime);
      }
    }
  }

  // --- Generated jobs enter the stores with their plans --------------------------------------

  private addSpark(createdAt: number): void {
    const { job, plan } = drawSpark(
      this.rng,
      this.rates,
      createdAt,
      this.serial++,
      this.options.sparkPipelines,
    );
    this.sparkPlans.set(job.id, plan);
    if (!advanceSpark(job, plan, this.now)) this.sparkPlans.delete(job.id);
    this.spark.put(job);
  }

  private addFlink(createdAt: number, initial: boolean): void {
    const job = drawFlink(this.rng, this.now, createdAt, initial, this.nextFlinkId, this.serial++);
    this.nextFlinkId = job.job_id;
    this.flink.put(job);
    const next = nextFlinkEvent(job, this.now, this.rng, this.rates);
    if (next === undefined) this.flinkPlans.delete(job.job_id);
    else this.flinkPlans.set(job.job_id, { nextEventAt: next });
  }

  private addDataArts(
    workspaceId: string,
    ws: Workspace,
    type: DataArtsJobType,
    index: number,
    createTime: number,
  ): void {
    const { job, batchPlan, realtimePlan } = drawDataArts(
      this.rng,
      this.rates,
      this.now,
      workspaceId,
      type,
      index,
      createTime,
    );
    if (batchPlan) this.batchPlans.set(job, batchPlan);
    if (realtimePlan) this.realtimePlans.set(job, realtimePlan);
    ws.byType[type].put(job);
    if (batchPlan) advanceBatch(job, batchPlan, this.context());
  }

  // --- Test hooks: the job stops evolving ----------------------------------------------------

  pinSpark(id: string): void {
    this.sparkPlans.delete(id);
  }

  pinFlink(jobId: number): void {
    this.flinkPlans.delete(jobId);
  }

  pinDataArts(job: DataArtsJobRecord): void {
    this.batchPlans.delete(job);
    this.realtimePlans.delete(job);
  }

  allocateFlinkId(): number {
    this.nextFlinkId = Math.max(this.nextFlinkId, ...(this.flink.size ? [this.lastFlinkId()] : [])) + 1;
    return this.nextFlinkId;
  }

  private lastFlinkId(): number {
    const all = this.flink.all();
    return all.length ? (all[all.length - 1] as FlinkJobRecord).job_id : 0;
  }

  // --- Time ----------------------------------------------------------------------------------

  /** Advances the world clock by ms and lets every planned job catch up. */
  tick(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms))
      throw new RangeError(`tick: ms must be a finite number >= 0, got ${ms}`);
    const before = this.now;
    this.now = before + ms;
    const churn = this.options.churn;
    if (!churn) return;
    // Spark, then Flink, then DataArts: the order of draws is part of the seeded world.
    this.tickSpark(before, ms, churn);
    this.tickFlink(before, ms, churn);
    this.tickDataArts();
  }

  private tickSpark(before: number, ms: number, churn: ChurnSettings): void {
    this.sparkArrivalDebt += (churn.sparkArrivalsPerHour * ms) / HOUR;
    const sparkArrivals: number[] = [];
    while (this.sparkArrivalDebt >= 1) {
      this.sparkArrivalDebt -= 1;
      sparkArrivals.push(before + Math.floor(this.rng.next() * ms));
    }
    for (const at of sparkArrivals.sort((a, b) => a - b)) this.addSpark(at);
    let sparkChanged = sparkArrivals.length > 0;
    for (const [id, plan] of this.sparkPlans) {
      const job = this.spark.get(id);
      if (!job) {
        this.sparkPlans.delete(id);
        continue;
      }
      if (!advanceSpark(job, plan, this.now)) this.sparkPlans.delete(id);
      sparkChanged = true;
    }
    if (sparkChanged) this.spark.version++;
  }

  private tickFlink(before: number, ms: number, churn: ChurnSettings): void {
    this.flinkArrivalDebt += (churn.flinkArrivalsPerDay * ms) / DAY;
    while (this.flinkArrivalDebt >= 1) {
      this.flinkArrivalDebt -= 1;
      this.nextFlinkId = Math.max(this.nextFlinkId, this.lastFlinkId());
      this.addFlink(before + Math.floor(this.rng.next() * ms), false);
    }
    const context = this.context();
    for (const [jobId, plan] of this.flinkPlans) {
      const job = this.flink.get(String(jobId));
      if (!job) {
        this.flinkPlans.delete(jobId);
        continue;
      }
      if (!advanceFlink(job, plan, context)) this.flinkPlans.delete(jobId);
    }
    this.flink.version++;
  }

  private tickDataArts(): void {
    const context = this.context();
    for (const [job, plan] of this.batchPlans) advanceBatch(job, plan, context);
    for (const [job, plan] of this.realtimePlans) advanceRealtime(job, plan, context);
    for (const ws of this.workspaces.values()) {
      ws.byType.BATCH.version++;
      ws.byType.REAL_TIME.version++;
    }
  }
}
