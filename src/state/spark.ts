// Spark batch jobs: finished jobs are counted once when seen entering success or dead, and
// their final duration observed; per-job series of finished jobs are kept for a while only.

import { CountTable, countRows, HistogramTable } from "../metrics/family.js";
import { cutLabelValue } from "../metrics/render.js";
import {
  SPARK_RUN_DURATION_BUCKETS,
  SPARK_STATES,
  SPARK_TERMINAL_STATES,
  type SparkAggregates,
  sparkFamilies,
} from "../metrics/spark.js";
import type { SparkJob } from "../model.js";
import { SeenJobs } from "./seen-jobs.js";
import { runSteps, type SourceTracker, STEP_JOBS, type TrackerSettings } from "./tracker.js";

const KNOWN: readonly string[] = SPARK_STATES;

function isTerminal(state: string): boolean {
  return SPARK_TERMINAL_STATES.includes(state);
}

/** The duration a finished job ran: the API's, else update minus create; undefined when unknown. */
export function finalDurationSeconds(job: SparkJob): number | undefined {
  if (job.durationMs !== undefined) return job.durationMs / 1000;
  if (job.updatedMs !== undefined && job.createdMs !== undefined && job.updatedMs >= job.createdMs) {
    return (job.updatedMs - job.createdMs) / 1000;
  }
  return undefined;
}

export class SparkTracker implements SourceTracker<SparkJob, SparkAggregates> {
  readonly source = "spark" as const;
  readonly families = sparkFamilies;
  /** Last state of every job seen, including jobs that left the listing recently (by id hash). */
  private readonly memory = new SeenJobs();
  private readonly queues = new Set<string>();
  private jobs = new CountTable();
  private readonly finished = new CountTable();
  private readonly runDurations = new HistogramTable(SPARK_RUN_DURATION_BUCKETS);

  constructor(private readonly settings: () => TrackerSettings) {}

  // The served identity: two ids equal after the 128-character cut are one series, so one job.
  key(job: SparkJob): string {
    return cutLabelValue(job.id);
  }

  observe(jobs: readonly SparkJob[], nowMs: number, baseline: boolean, keys?: readonly string[]): string[] {
    return runSteps(this.observeSteps(jobs, nowMs, baseline, keys));
  }

  *observeSteps(
    jobs: readonly SparkJob[],
    nowMs: number,
    baseline: boolean,
    keys?: readonly string[],
  ): Generator<void, string[]> {
    const unknown: string[] = [];
    for (let index = 0; index < jobs.length; index++) {
      const job = jobs[index] as (typeof jobs)[number];
      if (index % STEP_JOBS === STEP_JOBS - 1) yield;
      this.seeQueue(job.queue);
      const key = keys?.[index] ?? this.key(job);
      const previous = this.memory.see(key, job.state, nowMs);
      if (previous !== job.state) {
        if (!KNOWN.includes(job.state)) unknown.push(job.state);
        const alreadyFinished = previous !== undefined && isTerminal(previous);
        // A job first seen already finished after the baseline was created and finished
        // between two polls: it finished all the same.
        if (isTerminal(job.state) && !alreadyFinished && !baseline) {
          this.finished.add([job.queue, job.state]);
          const duration = finalDurationSeconds(job);
          if (duration !== undefined) this.runDurations.observe([job.queue, job.state], duration);
        }
      }
    }
    this.memory.forgetBefore(nowMs - this.settings().forgetAfterMs);
    const counts = new CountTable();
    for (const queue of this.queues) for (const state of KNOWN) counts.ensure([queue, state]);
    countRows(counts, jobs, (job) => [job.queue, job.state]);
    this.jobs = counts;
    return unknown;
  }

  private seeQueue(queue: string): void {
    if (this.queues.has(queue)) return;
    this.queues.add(queue);
    for (const state of SPARK_TERMINAL_STATES) {
      this.finished.ensure([queue, state]);
      this.runDurations.ensure([queue, state]);
    }
  }

  aggregates(): SparkAggregates {
    return { jobs: this.jobs, finished: this.finished, runDurations: this.runDurations };
  }

  serves(job: SparkJob, nowMs: number): boolean {
    if (!isTerminal(job.state)) return true;
    const finishedMs = job.updatedMs ?? job.createdMs;
    return finishedMs === undefined || nowMs - finishedMs <= this.settings().finishedRetentionMs;
  }

  dropRank(job: SparkJob): readonly [number, number] {
    if (isTerminal(job.state)) return [0, job.updatedMs ?? job.createdMs ?? 0];
    return [1, job.createdMs ?? 0];
  }
}
