// What the store needs of each source: how to name a job, how two complete snapshots turn
// into counter increments, and which jobs' series are served. One tracker per target and
// source; it lives as long as the target.

import type { Family } from "../exposition/family.js";
import type { SourceName } from "./model.js";
import type { PipelineAttention, PipelineRows } from "./pipeline.js";
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from "./pipeline-rules.js";

export interface SourceTracker<J, A> {
  readonly source: SourceName;
  readonly families: ReadonlyArray<Family<J, A>>;
  /** Identity of a job within its target and source. */
  key(job: J): string;
  /**
   * Diff a complete snapshot (deduplicated by key, in key order) against what was seen before
   * and move the counters, as steps of a few hundred jobs (the store runs them sliced).
   * `baseline` is the first complete poll of this target and source: it counts no finish.
   * Returns the unknown states jobs entered in this poll, one entry per job. `keys`, where
   * given, are `key(job)` of each job, in order (the store has them already).
   */
  observeSteps(
    jobs: readonly J[],
    nowMs: number,
    baseline: boolean,
    keys?: readonly string[],
  ): Generator<void, string[]>;
  aggregates(): A;
  /** Whether the job's per-job series are served at `nowMs` (retention of finished jobs). */
  serves(job: J, nowMs: number): boolean;
  /**
   * Order of the series guard, compared element by element: the lowest rank is dropped
   * first. `[0, finishedMs]` for jobs that finished, `[1, createdMs]` for the others.
   */
  dropRank(job: J): readonly [number, number];
  /** Pipelines the `pipelines.max_per_source` guard forgot since the last call (sources with pipelines). */
  takePipelinesDropped?(): number;
  /**
   * Sources that remember across restarts (memory.ts): what to keep, as plain JSON; whether it
   * changed since the last call; and taking it back at start, before the first poll. After a
   * restore the first poll is no baseline: what finished meanwhile is counted, once.
   */
  /** Pipelines overdue or failing, for the landing page (sources with pipelines). */
  pipelinesNeedingAttention?(nowMs: number): PipelineAttention[];
  /** The pipelines served, in order (sources with pipelines); `stale`: active runs go. */
  pipelineRows?(stale: boolean): PipelineRows;
  saveMemory?(): unknown;
  takeMemoryChanged?(): boolean;
  restoreMemory?(memory: unknown): void;
}

/** Per-target settings the trackers need, from TargetConfig. */
export interface TrackerSettings {
  /** Per-job series of a finished Spark job are served this long after its update_time. */
  finishedRetentionMs: number;
  /** A Spark job absent from the listing is remembered this long, so it is never counted twice. */
  forgetAfterMs: number;
  /** The `pipelines` section, the same for every target. */
  pipelines: PipelineSettings;
}

export const DEFAULT_TRACKER_SETTINGS: TrackerSettings = {
  finishedRetentionMs: 60 * 60 * 1000,
  forgetAfterMs: 24 * 60 * 60 * 1000,
  pipelines: DEFAULT_PIPELINE_SETTINGS,
};

/** Jobs handled between two yields of a step generator. */
export const STEP_JOBS = 512;
