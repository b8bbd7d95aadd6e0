// Spark batch jobs: finished jobs are counted once when seen entering success or dead, and
// their final duration observed; per-job series of finished jobs are kept for a while only.

import { CountTable, countRows, HistogramTable } from "../../exposition/family.js";
import { cutLabelValue } from "../../exposition/render.js";
import { type SourceTracker, STEP_JOBS, type TrackerSettings } from "../tracker.js";
import { SPARK_RUN_DURATION_BUCKETS, type SparkAggregates, sparkFamilies } from "./families.js";
import type { SparkJob } from "./job.js";
import { SeenJobs } from "./seen-jobs.js";
import {
  finalDurationSeconds,
  isTerminalSparkState as isTerminal,
  SPARK_STATES,
  SPARK_TERMINAL_STATES,
  servesPerJobSeries,
  sparkDropRank,
} from "./states.js";

const KNOWN: readonly string[] = SPARK_STATES;

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
    return servesPerJobSeries(job, nowMs, this.settings().finishedRetentionMs);
  }

  dropRank(job: SparkJob): readonly [number, number] {
    return sparkDropRank(job);
  }
}
