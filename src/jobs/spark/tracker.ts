// Spark batch jobs: finished jobs are counted once when seen entering success or dead, and
// their final duration observed; per-job series of finished jobs are kept for a while only.

import { CountTable, countRows, HistogramTable } from "../../exposition/family.js";
import { cutLabelValue } from "../../exposition/render.js";
import type { SparkMemory } from "../memory.js";
import { type PipelineAttention, type PipelineRows, Pipelines } from "../pipeline.js";
import { type FinishedRun, recordFinish, seeRun } from "../pipeline-rules.js";
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
  /** Runs sharing a job name, by the name as served. */
  private readonly pipelines = new Pipelines("spark", (labels) => ({
    jobName: labels[0] as string,
    workspace: "",
  }));
  /** Runs not yet terminal per pipeline in the last complete poll. */
  private active = new Map<string, number>();
  /** A run was seen finishing since the memory was last saved. */
  private finishedSinceSave = false;

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
    const active = new Map<string, number>();
    const finished: Array<{ name: string; run: FinishedRun; createdMs: number }> = [];
    for (let index = 0; index < jobs.length; index++) {
      const job = jobs[index] as (typeof jobs)[number];
      if (index % STEP_JOBS === STEP_JOBS - 1) yield;
      this.seeQueue(job.queue);
      const key = keys?.[index] ?? this.key(job);
      const previous = this.memory.see(key, job.state, nowMs);
      if (job.name !== "" && !isTerminal(job.state)) {
        const name = cutLabelValue(job.name);
        active.set(name, (active.get(name) ?? 0) + 1);
        if (previous === undefined) this.seeRun(name, job.createdMs ?? nowMs, nowMs);
      }
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
        // The baseline's finished runs are history all the same: the pipeline learns them.
        if (isTerminal(job.state) && !alreadyFinished && job.name !== "") {
          finished.push({
            name: cutLabelValue(job.name),
            createdMs: job.createdMs ?? nowMs,
            run: {
              outcome: job.state === "success" ? "success" : "failure",
              finishMs: runFinishMs(job, nowMs),
              duration: finalDurationSeconds(job),
            },
          });
        }
      }
    }
    this.memory.forgetBefore(nowMs - this.settings().forgetAfterMs);
    this.updatePipelines(finished, active, nowMs);
    const counts = new CountTable();
    for (const queue of this.queues) for (const state of KNOWN) counts.ensure([queue, state]);
    countRows(counts, jobs, (job) => [job.queue, job.state]);
    this.jobs = counts;
    return unknown;
  }

  /** Finished runs in finish-time order, then the active counts that moved; then publish. */
  private updatePipelines(
    finished: Array<{ name: string; run: FinishedRun; createdMs: number }>,
    active: Map<string, number>,
    nowMs: number,
  ): void {
    if (finished.length > 0) this.finishedSinceSave = true;
    finished.sort((a, b) => a.run.finishMs - b.run.finishMs);
    for (const { name, run, createdMs } of finished) {
      const pipeline = this.seeRun(name, createdMs, nowMs);
      recordFinish(pipeline.history, run);
    }
    active.forEach((count, name) => {
      // A pipeline the guard forgot comes back with its next new run only.
      const pipeline = this.pipelines.get(name);
      if (pipeline !== undefined && pipeline.active !== count) {
        pipeline.active = count;
        this.pipelines.touch(pipeline);
      }
    });
    this.active.forEach((_, name) => {
      if (active.has(name)) return;
      const pipeline = this.pipelines.get(name);
      if (pipeline === undefined) return;
      pipeline.active = 0;
      this.pipelines.touch(pipeline);
    });
    this.active = active;
    this.pipelines.publish(this.settings().pipelines);
  }

  /** The pipeline of `name` (made where new), told of a run created at `createdMs`. */
  private seeRun(name: string, createdMs: number, nowMs: number) {
    const pipeline = this.pipelines.ensure(name, [name], Math.min(createdMs, nowMs));
    seeRun(pipeline.history, createdMs);
    this.pipelines.touch(pipeline);
    return pipeline;
  }

  pipelinesNeedingAttention(nowMs: number): PipelineAttention[] {
    return this.pipelines.attention(nowMs, this.settings().pipelines.failingThreshold);
  }

  pipelineRows(stale: boolean): PipelineRows {
    return this.pipelines.rows(stale);
  }

  takePipelinesDropped(): number {
    return this.pipelines.takeDropped();
  }

  saveMemory(): SparkMemory {
    const finished = this.memory.entries(SPARK_TERMINAL_STATES) as SparkMemory["finished"];
    return { finished, pipelines: this.pipelines.save() };
  }

  takeMemoryChanged(): boolean {
    // Both are taken: `||` would leave one flag set for the next call.
    const pipelines = this.pipelines.takeChanged();
    const finished = this.finishedSinceSave;
    this.finishedSinceSave = false;
    return pipelines || finished;
  }

  restoreMemory(memory: SparkMemory): void {
    for (const [hash, state, seenAt] of memory.finished) this.memory.restore(hash, state, seenAt);
    this.pipelines.restore(memory.pipelines, (labels) => cutLabelValue(labels[0] as string));
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
    return {
      jobs: this.jobs,
      finished: this.finished,
      runDurations: this.runDurations,
    };
  }

  serves(job: SparkJob, nowMs: number): boolean {
    return servesPerJobSeries(job, nowMs, this.settings().finishedRetentionMs);
  }

  dropRank(job: SparkJob): readonly [number, number] {
    return sparkDropRank(job);
  }
}

/** A run's finish time (metrics contract): update_time, else create_time + duration, else now. */
function runFinishMs(job: SparkJob, nowMs: number): number {
  if (job.updatedMs !== undefined) return job.updatedMs;
  if (job.createdMs !== undefined && job.durationMs !== undefined) return job.createdMs + job.durationMs;
  return nowMs;
}
