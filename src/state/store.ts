// The job store: the last complete snapshot of every target and source, the trackers whose
// counters their differences move, staleness, retention and the series guard. After each poll
// it hands the served jobs to their lines (exposition/job-lines.ts) and has the writer publish
// them; it never holds rendered text itself.
//
// A poll lands in slices of a few milliseconds with the event loop free in between, so scrapes
// keep flowing while tens of thousands of jobs are diffed and rendered.

import type { TargetConfig } from "../config/types.js";
import type { Family, SampleOptions, StateSeriesMode } from "../exposition/family.js";
import type { SlotLines } from "../exposition/job-lines.js";
import { renderTargetLabels } from "../exposition/render.js";
import { ExpositionWriter } from "../exposition/writer.js";
import { flatString } from "../flat-string.js";
import type { JobsBySource, SourceName, TargetIdentity } from "../jobs/model.js";
import type { PipelineAttention } from "../jobs/pipeline.js";
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from "../jobs/pipeline-rules.js";
import { JOB_FAMILIES, jobSource } from "../jobs/registry.js";
import type { FailedJob } from "../jobs/source.js";
import {
  DEFAULT_TRACKER_SETTINGS,
  type SourceTracker,
  STEP_JOBS,
  type TrackerSettings,
} from "../jobs/tracker.js";
import { guardSeries } from "./series-guard.js";

/** One target and source's jobs in failed states, most recent first. */
export interface FailedJobs {
  target: string;
  source: SourceName;
  /** Failed jobs in the last complete snapshot. */
  total: number;
  /** The most recent of them, at most the limit asked for. */
  jobs: FailedJob[];
}

/** Where the store reports what the exporter's own metrics count. */
export interface StoreObserver {
  /** A job entered a state outside the known set (once per job and state entered). */
  countUnknownState(source: SourceName, state: string): void;
  /** Per-job series left out by the series guard at one complete poll. */
  countSeriesDropped(target: string, source: SourceName, count: number): void;
  /** Jobs held from the last complete poll; 0 once dropped as stale. */
  setJobsHeld(target: string, source: SourceName, count: number): void;
  /** Pipelines forgotten by the `pipelines.max_per_source` guard at one complete poll. */
  countPipelinesDropped?(target: string, source: SourceName, count: number): void;
}

export interface StoreOptions {
  /** Per-job series of a failing source are dropped once its last complete poll is older than this. */
  staleAfterMs: number;
  stateSeries: StateSeriesMode;
  /** Per target and source, per-job series at most; past it the oldest-finished jobs go first. */
  maxSeriesPerSource: number;
  /** Targets' Spark retention and lookback; others get the defaults. */
  targets?: readonly TargetConfig[];
  /** The `pipelines` section; defaults where absent. */
  pipelines?: PipelineSettings;
  observer?: StoreObserver;
}

// biome-ignore lint/suspicious/noExplicitAny: trackers of every source share one slot type
type AnyTracker = SourceTracker<any, any>;

/** What the trackers of one target remember, as the state file keeps it (state-file.ts). */
export interface TargetMemory {
  name: string;
  region: string;
  projectId: string;
  /** Each source's `saveMemory()`, for the sources that keep any. */
  sources: Partial<Record<SourceName, unknown>>;
}

interface Slot {
  tracker: AnyTracker;
  /** Its tracker took back a memory at start: its first poll is no baseline. */
  restored: boolean;
  lines: SlotLines;
  /** The lines of the source's pipelines, one row each; sources with pipelines only. */
  pipelineLines: SlotLines | undefined;
  /** The last complete snapshot, sorted by key; undefined before the first complete poll. */
  jobs: unknown[] | undefined;
  /** Keys of `jobs`, in order. */
  keys: string[];
  lastSuccessMs: number;
  stale: boolean;
  /** Jobs whose per-job series were served at the last render (retention shrinks it). */
  servedJobs: number;
}

interface TargetEntry {
  identity: TargetIdentity;
  /** Rendered `target=...,region=...,project_id=...`. */
  prefix: string;
  slots: Map<SourceName, Slot>;
}

const servesAll = (): boolean => true;

/**
 * Jobs in key order, UTF-16 code units as `<` (not the locale's). The previous snapshot's keys
 * still there come first, in their order, then the new ones: the sort finds one long sorted run
 * and merges the few new keys into it, so a poll costs about linear time, not n log n.
 */
export function inKeyOrder<J>(
  previous: readonly string[],
  byKey: ReadonlyMap<string, J>,
): { keys: string[]; sorted: J[] } {
  const keys: string[] = [];
  for (const key of previous) if (byKey.has(key)) keys.push(key);
  if (keys.length < byKey.size) {
    const known = new Set(keys);
    // Keys live as long as their job: kept flat (see flat-string.ts).
    for (const key of byKey.keys()) if (!known.has(key)) keys.push(flatString(key));
  }
  keys.sort();
  return { keys, sorted: keys.map((key) => byKey.get(key) as J) };
}

/** The asynchronous path gives the event loop back after about this long. */
const SLICE_MS = 4;

/** Runs a step generator, giving the event loop back whenever a slice has taken SLICE_MS. */
async function runSliced<R>(steps: Generator<void, R>): Promise<R> {
  let sliceStart = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - sliceStart >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

export class JobStore {
  private readonly targets = new Map<string, TargetEntry>();
  private readonly settings = new Map<string, TrackerSettings>();
  private pipelines: PipelineSettings;
  /** Memory read at start, taken by each slot when it is made (then removed from here). */
  private readonly restored = new Map<string, TargetMemory>();
  private memoryListener: (() => void) | undefined;
  /** The job part of /metrics: what scrapes write. */
  readonly writer: ExpositionWriter;

  constructor(private readonly options: StoreOptions) {
    const sampleOptions: SampleOptions = { stateSeries: options.stateSeries };
    this.writer = new ExpositionWriter(JOB_FAMILIES, sampleOptions);
    this.pipelines = options.pipelines ?? DEFAULT_PIPELINE_SETTINGS;
    for (const target of options.targets ?? []) this.configureTarget(target);
  }

  /** Take a target's Spark retention and lookback (at start and on reload). */
  configureTarget(target: TargetConfig): void {
    this.settings.set(target.name, {
      finishedRetentionMs: target.spark.finishedRetentionMs,
      forgetAfterMs: Math.max(target.spark.lookbackMs, DEFAULT_TRACKER_SETTINGS.forgetAfterMs),
      pipelines: this.pipelines,
    });
  }

  /** Take a new `pipelines` section (on reload): every target's next poll uses it. */
  configurePipelines(pipelines: PipelineSettings): void {
    this.pipelines = pipelines;
    for (const [name, settings] of this.settings) this.settings.set(name, { ...settings, pipelines });
  }

  /** The memory of a previous process (the state file), taken before the first poll. */
  restoreMemory(targets: readonly TargetMemory[]): void {
    for (const target of targets) this.restored.set(target.name, target);
  }

  /** Called after a complete poll that changed what saveMemory() returns. */
  onMemoryChanged(listener: () => void): void {
    this.memoryListener = listener;
  }

  /** What every tracker remembers, with the restored memory no slot has taken yet. */
  saveMemory(): TargetMemory[] {
    const out = new Map<string, TargetMemory>();
    for (const [name, pending] of this.restored)
      out.set(name, { ...pending, sources: { ...pending.sources } });
    for (const [name, entry] of this.targets) {
      const memory = out.get(name);
      const target: TargetMemory =
        memory !== undefined &&
        memory.region === entry.identity.region &&
        memory.projectId === entry.identity.projectId
          ? memory
          : { name, region: entry.identity.region, projectId: entry.identity.projectId, sources: {} };
      for (const [source, slot] of entry.slots) {
        const saved = slot.tracker.saveMemory?.();
        if (saved !== undefined) target.sources[source] = saved;
      }
      out.set(name, target);
    }
    return [...out.values()];
  }

  /**
   * A complete poll: diff with the previous complete snapshot, move counters, re-render;
   * resolves once scrapes serve the result (published, compressed).
   */
  async applySuccess<S extends SourceName>(
    target: TargetIdentity,
    source: S,
    jobs: readonly JobsBySource[S][],
    nowMs: number,
  ): Promise<void> {
    await runSliced(this.successSteps(target, source, jobs, nowMs));
    await this.writer.changed();
  }

  /**
   * A failed or partial poll: the last complete snapshot stays served until it is older than
   * staleAfterMs, then its per-job series and snapshot gauges go; counters stay. Resolves once
   * scrapes serve the result.
   */
  async applyFailure(target: TargetIdentity, source: SourceName, nowMs: number): Promise<void> {
    if (await runSliced(this.failureSteps(target, source, nowMs))) await this.writer.changed();
  }

  /** A target left the configuration: all its series go, counters included. */
  removeTarget(name: string): Promise<void> {
    this.settings.delete(name);
    this.restored.delete(name);
    if (!this.targets.delete(name)) return Promise.resolve();
    this.writer.dropTarget(name, false);
    return this.writer.changed();
  }

  /**
   * Per target and source, the jobs of the last complete snapshot in a failed state (each
   * source's rule): the `limit` most recent, and how many in all. Only the landing page asks;
   * it walks the snapshots, the scrape path never does.
   */
  failedJobs(limit: number): FailedJobs[] {
    const out: FailedJobs[] = [];
    for (const [target, entry] of this.targets) {
      for (const [source, slot] of entry.slots) {
        if (slot.jobs === undefined) continue;
        const rule = jobSource(source);
        const failed: FailedJob[] = [];
        for (const job of slot.jobs) {
          const found = rule.failed(job);
          if (found) failed.push(found);
        }
        if (failed.length === 0) continue;
        failed.sort(
          (a, b) => (b.atMs ?? -1) - (a.atMs ?? -1) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
        );
        out.push({ target, source, total: failed.length, jobs: failed.slice(0, limit) });
      }
    }
    return out;
  }

  /** Pipelines overdue or failing, per target and source, overdue first within each. */
  pipelinesNeedingAttention(
    nowMs: number,
  ): Array<PipelineAttention & { target: string; source: SourceName }> {
    const out: Array<PipelineAttention & { target: string; source: SourceName }> = [];
    for (const [target, entry] of this.targets) {
      for (const [source, slot] of entry.slots) {
        for (const row of slot.tracker.pipelinesNeedingAttention?.(nowMs) ?? [])
          out.push({ ...row, target, source });
      }
    }
    return out;
  }

  /** Targets with any state, in the order first seen. */
  targetNames(): string[] {
    return [...this.targets.keys()];
  }

  /** Jobs held from the last complete poll of a target and source (0 once stale). */
  jobsHeld(target: string, source: SourceName): number {
    const slot = this.targets.get(target)?.slots.get(source);
    return slot?.jobs === undefined || slot.stale ? 0 : slot.jobs.length;
  }

  private *successSteps<S extends SourceName>(
    target: TargetIdentity,
    source: S,
    jobs: readonly JobsBySource[S][],
    nowMs: number,
  ): Generator<void, void> {
    const slot = this.slot(target, source);
    const tracker = slot.tracker;
    // Deduplicated by key (the last record of a key wins).
    const byKey = new Map<string, JobsBySource[S]>();
    for (let index = 0; index < jobs.length; index++) {
      const job = jobs[index] as JobsBySource[S];
      byKey.set(tracker.key(job), job);
      if (index % STEP_JOBS === STEP_JOBS - 1) yield;
    }
    yield;
    const { keys, sorted } = inKeyOrder(slot.keys, byKey);
    yield;
    slot.keys = keys;
    const baseline = slot.jobs === undefined && !slot.restored;
    const unknown = yield* tracker.observeSteps(sorted, nowMs, baseline, keys);
    yield;
    const dropped = yield* this.renderSteps(slot, sorted, nowMs, false);
    slot.jobs = sorted;
    slot.lastSuccessMs = nowMs;
    if (tracker.takeMemoryChanged?.()) this.memoryListener?.();
    const observer = this.options.observer;
    if (observer) {
      for (const state of unknown) observer.countUnknownState(source, state);
      observer.countSeriesDropped(target.name, source, dropped);
      observer.setJobsHeld(target.name, source, sorted.length);
      const forgotten = tracker.takePipelinesDropped?.() ?? 0;
      if (forgotten > 0) observer.countPipelinesDropped?.(target.name, source, forgotten);
    }
  }

  /** Returns whether anything served changed. */
  private *failureSteps(target: TargetIdentity, source: SourceName, nowMs: number): Generator<void, boolean> {
    const slot = this.slot(target, source);
    if (slot.jobs === undefined || slot.stale) return false;
    if (nowMs - slot.lastSuccessMs > this.options.staleAfterMs) {
      yield* this.renderSteps(slot, slot.jobs, nowMs, true);
      this.options.observer?.setJobsHeld(target.name, source, 0);
      return true;
    }
    // Time moves on while polls fail: finished jobs still leave at the end of their retention.
    let served = 0;
    for (const job of slot.jobs) if (slot.tracker.serves(job, nowMs)) served++;
    if (served === slot.servedJobs) return false;
    yield* this.renderSteps(slot, slot.jobs, nowMs, false);
    return true;
  }

  /**
   * Renders a slot from `jobs` (its last complete snapshot); returns the per-job series the
   * guard left out. `stale`: the per-job series and snapshot gauges go, counters stay.
   */
  private *renderSteps(
    slot: Slot,
    jobs: readonly unknown[],
    nowMs: number,
    stale: boolean,
  ): Generator<void, number> {
    const { tracker, lines } = slot;
    let dropped = 0;
    if (stale) {
      lines.dropJobs();
      slot.servedJobs = 0;
    } else {
      const served = yield* lines.collect(jobs, slot.keys, (job) => tracker.serves(job, nowMs));
      yield;
      const max = this.options.maxSeriesPerSource;
      // Most polls fit: every job is placed (changed ones render, so their counts are exact)
      // and only a poll whose exact count is past the budget runs the guard.
      let fits = false;
      if (served.total <= max) {
        yield* lines.placeAll(served);
        fits = lines.placedSeries(served) <= max;
      }
      let keep: Uint8Array | undefined;
      if (!fits) {
        const guard = guardSeries(
          served.jobs.length,
          (index) => tracker.dropRank(served.jobs[index]),
          (index) => served.series(index),
          max,
        );
        keep = guard.keep;
        dropped = guard.dropped;
        yield;
      }
      yield* lines.build(served, keep);
      slot.servedJobs = served.jobs.length;
    }
    yield* lines.renderAggregates(tracker.aggregates(), stale);
    if (slot.pipelineLines !== undefined && tracker.pipelineRows !== undefined) {
      // Pipelines are not per-job series: the series guard does not weigh them (their own
      // guard is pipelines.max_per_source), and they stay while the source is stale.
      const { rows, keys } = tracker.pipelineRows(stale);
      const pipelines = slot.pipelineLines;
      const served = yield* pipelines.collect(rows, keys, servesAll);
      yield* pipelines.build(served, undefined);
      yield* pipelines.renderAggregates(undefined, stale);
    }
    slot.stale = stale;
    return dropped;
  }

  private entry(target: TargetIdentity): TargetEntry {
    let entry = this.targets.get(target.name);
    if (!entry) {
      entry = { identity: { ...target }, prefix: renderTargetLabels(target), slots: new Map() };
      this.targets.set(target.name, entry);
    } else if (entry.identity.region !== target.region || entry.identity.projectId !== target.projectId) {
      // Same name, other project: a different target; nothing of the old one carries over.
      entry.identity = { ...target };
      entry.prefix = renderTargetLabels(target);
      entry.slots.clear();
      this.writer.dropTarget(target.name, true);
      void this.writer.changed();
    }
    return entry;
  }

  /** Hands a new tracker its memory from the state file, where the target is the same one. */
  private takeRestored(target: TargetIdentity, source: SourceName, tracker: AnyTracker): boolean {
    const memory = this.restored.get(target.name);
    if (memory === undefined || tracker.restoreMemory === undefined) return false;
    if (memory.region !== target.region || memory.projectId !== target.projectId) {
      this.restored.delete(target.name);
      return false;
    }
    const saved = memory.sources[source];
    if (saved === undefined) return false;
    delete memory.sources[source];
    tracker.restoreMemory(saved);
    return true;
  }

  private slot(target: TargetIdentity, source: SourceName): Slot {
    const entry = this.entry(target);
    let slot = entry.slots.get(source);
    if (!slot) {
      const definition = jobSource(source);
      const settings = () =>
        this.settings.get(target.name) ?? { ...DEFAULT_TRACKER_SETTINGS, pipelines: this.pipelines };
      const tracker = definition.createTracker(settings);
      slot = {
        tracker,
        restored: this.takeRestored(target, source, tracker),
        lines: this.writer.lines(target.name, source, definition.families, entry.prefix),
        pipelineLines:
          definition.pipelineFamilies === undefined
            ? undefined
            : this.writer.lines(
                target.name,
                `${source}/pipelines`,
                definition.pipelineFamilies as ReadonlyArray<Family<unknown, unknown>>,
                entry.prefix,
              ),
        jobs: undefined,
        keys: [],
        lastSuccessMs: Number.NEGATIVE_INFINITY,
        stale: false,
        servedJobs: 0,
      };
      entry.slots.set(source, slot);
    }
    return slot;
  }
}
