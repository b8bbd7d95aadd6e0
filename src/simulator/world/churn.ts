// Churn: how jobs move along as world time passes. A generated job carries a plan (when it starts,
// ends, restarts, next changes); advancing a plan to `now` applies every step that fell due.
// Arrivals of new jobs are the world's (it owns the stores); the rates are here.

import type { DataArtsJobRecord, FlinkJobRecord, SparkSession } from "./jobs.js";
import type { Random } from "./random.js";

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

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** What a plan reads as it advances: the time to advance to, the world's generator and rates. */
export interface ChurnContext {
  now: number;
  rng: Random;
  rates: ChurnSettings;
}

export interface SparkPlan {
  startAt: number;
  endAt: number;
  outcome: "success" | "dead";
  capitalised: boolean;
  appId: string | string[];
  recoverAt: number;
  recoverUntil: number;
}

export interface FlinkPlan {
  nextEventAt: number;
}

export interface BatchPlan {
  periodMs: number;
  nextRunAt: number;
  runMs: number;
}

export interface RealtimePlan {
  nextEventAt: number;
}

// --- Spark ---------------------------------------------------------------------------------

/** Brings one planned batch up to `now`; returns false once it is final (the plan is spent). */
export function advanceSpark(job: SparkSession, plan: SparkPlan, now: number): boolean {
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
  return false;
}

// --- Flink ---------------------------------------------------------------------------------

/** When the job's next event happens after `at`, or undefined when its state has none. */
export function nextFlinkEvent(job: FlinkJobRecord, at: number, rng: Random, rates: ChurnSettings) {
  let delay: number | undefined;
  if (job.status === "job_running") delay = rng.exponential(DAY / Math.max(1e-9, rates.flinkRestartsPerDay));
  else if (job.status === "job_running_exception") delay = rng.exponential(rates.flinkRecoverMs);
  else if (job.status === "job_submitting") delay = rng.exponential(30_000);
  return delay === undefined ? undefined : at + Math.floor(delay);
}

/** Applies every event due by `now`; returns false once the job has no next event. */
export function advanceFlink(
  job: FlinkJobRecord,
  plan: FlinkPlan,
  { now, rng, rates }: ChurnContext,
): boolean {
  let planned = true;
  for (let guard = 0; planned && plan.nextEventAt <= now && guard < 1000; guard++) {
    const at = plan.nextEventAt;
    if (job.status === "job_submitting") {
      if (rng.chance(0.05)) {
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
      if (rng.chance(rates.flinkExceptionRate)) {
        job.status = "job_running_exception";
        job.status_desc = "The job is abnormal";
      }
    } else if (job.status === "job_running_exception") {
      job.status = "job_running";
      job.status_desc = "";
    }
    job.update_time = at;
    const next = nextFlinkEvent(job, at, rng, rates);
    if (next === undefined) planned = false;
    else plan.nextEventAt = next;
  }
  if (job.status === "job_running" && job.start_time > 0) {
    job.duration = now - job.start_time;
    job.update_time = now;
  }
  return planned;
}

// --- DataArts ------------------------------------------------------------------------------

/** Time to a REAL_TIME job's next status change. */
export function realtimeDelay(rng: Random, rates: ChurnSettings): number {
  return Math.floor(rng.exponential(DAY / Math.max(1e-9, rates.dataartsRealtimeChangesPerDay)));
}

/** Runs the BATCH job's schedule up to `now`: only the latest instance shows in the list. */
export function advanceBatch(
  job: DataArtsJobRecord,
  plan: BatchPlan,
  { now, rng, rates }: ChurnContext,
): void {
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
    job.lastInstanceStatus = rng.chance(rates.dataartsFailureRate)
      ? "fail"
      : rng.chance(0.01)
        ? "running-exception"
        : "success";
    plan.nextRunAt += plan.periodMs;
  }
}

export function advanceRealtime(
  job: DataArtsJobRecord,
  plan: RealtimePlan,
  { now, rng, rates }: ChurnContext,
): void {
  for (let guard = 0; plan.nextEventAt <= now && guard < 100; guard++) {
    const at = plan.nextEventAt;
    const next: Record<string, string> = {
      NORMAL: rng.chance(0.6) ? "EXCEPTION" : "STOPPING",
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
    plan.nextEventAt = at + (quick ? rng.int(10_000, 90_000) : realtimeDelay(rng, rates));
  }
}
