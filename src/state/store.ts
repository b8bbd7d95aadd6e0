// The job store: the last complete snapshot of every target and source, the counters their
// differences move, and the exposition text of all job families. Rendering happens here,
// after each poll, per (target, source) and per family; the body is assembled once per
// change and cached, so a scrape costs the size of the answer and never touches a job.

import type { TargetConfig } from "../config/types.js";
import { dataArtsFamilies } from "../metrics/dataarts.js";
import {
  checkFamilies,
  type Family,
  type Sample,
  type SampleOptions,
  type StateSeriesMode,
} from "../metrics/family.js";
import { flinkFamilies } from "../metrics/flink.js";
import {
  assembleExposition,
  type FamilyHeader,
  renderHistogram,
  renderSample,
  renderTargetLabels,
} from "../metrics/render.js";
import { sparkFamilies } from "../metrics/spark.js";
import type { JobsBySource, SourceName, TargetIdentity } from "../model.js";
import { DataArtsTracker } from "./dataarts.js";
import { FlinkTracker } from "./flink.js";
import { SparkTracker } from "./spark.js";
import { DEFAULT_TRACKER_SETTINGS, type SourceTracker, type TrackerSettings } from "./tracker.js";

/** Every job family in the order served. */
export const JOB_FAMILIES: readonly FamilyHeader[] = [
  ...sparkFamilies,
  ...flinkFamilies,
  ...dataArtsFamilies,
];
checkFamilies([...sparkFamilies, ...flinkFamilies, ...dataArtsFamilies]);

const SOURCE_OF_FAMILY = new Map<string, SourceName>([
  ...sparkFamilies.map((f) => [f.name, "spark"] as const),
  ...flinkFamilies.map((f) => [f.name, "flink"] as const),
  ...dataArtsFamilies.map((f) => [f.name, "dataarts"] as const),
]);

/** Where the store reports what the exporter's own metrics count. */
export interface StoreObserver {
  /** A job entered a state outside the known set (once per job and state entered). */
  countUnknownState(source: SourceName, state: string): void;
  /** Per-job series left out by the series guard at one complete poll. */
  countSeriesDropped(target: string, source: SourceName, count: number): void;
  /** Jobs held from the last complete poll; 0 once dropped as stale. */
  setJobsHeld(target: string, source: SourceName, count: number): void;
}

export interface StoreOptions {
  /** Per-job series of a failing source are dropped once its last complete poll is older than this. */
  staleAfterMs: number;
  stateSeries: StateSeriesMode;
  /** Per target and source, per-job series at most; past it the oldest-finished jobs go first. */
  maxSeriesPerSource: number;
  /** Targets' Spark retention and lookback; others get the defaults. */
  targets?: readonly TargetConfig[];
  observer?: StoreObserver;
}

// biome-ignore lint/suspicious/noExplicitAny: trackers of the three sources share one slot type
type AnyTracker = SourceTracker<any, any>;

interface Slot {
  tracker: AnyTracker;
  /** The last complete snapshot, sorted by key; undefined before the first complete poll. */
  jobs: unknown[] | undefined;
  lastSuccessMs: number;
  stale: boolean;
  /** Jobs whose per-job series were served at the last render (retention shrinks it). */
  servedJobs: number;
  /** Rendered lines per family, UTF-8. */
  chunks: Map<string, Buffer>;
}

interface TargetEntry {
  identity: TargetIdentity;
  /** Rendered `target=...,region=...,project_id=...`. */
  prefix: string;
  slots: Map<SourceName, Slot>;
}

function compareRank(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

export class JobStore {
  private readonly targets = new Map<string, TargetEntry>();
  private readonly settings = new Map<string, TrackerSettings>();
  private readonly sampleOptions: SampleOptions;
  private cachedText: string | undefined;
  private cachedBuffer: Buffer | undefined;

  constructor(private readonly options: StoreOptions) {
    this.sampleOptions = { stateSeries: options.stateSeries };
    for (const target of options.targets ?? []) this.configureTarget(target);
  }

  /** Take a target's Spark retention and lookback (at start and on reload). */
  configureTarget(target: TargetConfig): void {
    this.settings.set(target.name, {
      finishedRetentionMs: target.spark.finishedRetentionMs,
      forgetAfterMs: Math.max(target.spark.lookbackMs, DEFAULT_TRACKER_SETTINGS.forgetAfterMs),
    });
  }

  /** A complete poll: diff with the previous complete snapshot, move counters, re-render. */
  applySuccess<S extends SourceName>(
    target: TargetIdentity,
    source: S,
    jobs: readonly JobsBySource[S][],
    nowMs: number,
  ): void {
    const slot = this.slot(target, source);
    const tracker = slot.tracker;
    const byKey = new Map<string, JobsBySource[S]>();
    for (const job of jobs) byKey.set(tracker.key(job), job);
    const sorted = [...byKey.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, job]) => job);
    const baseline = slot.jobs === undefined;
    const unknown = tracker.observe(sorted, nowMs, baseline);
    slot.jobs = sorted;
    slot.lastSuccessMs = nowMs;
    slot.stale = false;
    const dropped = this.renderSlot(this.entry(target), slot, nowMs);
    this.changed();
    const observer = this.options.observer;
    if (observer) {
      for (const state of unknown) observer.countUnknownState(source, state);
      observer.countSeriesDropped(target.name, source, dropped);
      observer.setJobsHeld(target.name, source, sorted.length);
    }
  }

  /**
   * A failed or partial poll: the last complete snapshot stays served until it is older than
   * staleAfterMs, then its per-job series and snapshot gauges go; counters stay.
   */
  applyFailure(target: TargetIdentity, source: SourceName, nowMs: number): void {
    const slot = this.slot(target, source);
    if (slot.jobs === undefined || slot.stale) return;
    if (nowMs - slot.lastSuccessMs > this.options.staleAfterMs) {
      slot.stale = true;
      this.renderSlot(this.entry(target), slot, nowMs);
      this.changed();
      this.options.observer?.setJobsHeld(target.name, source, 0);
      return;
    }
    // Time moves on while polls fail: finished jobs still leave at the end of their retention.
    const tracker = slot.tracker;
    let served = 0;
    for (const job of slot.jobs) if (tracker.serves(job, nowMs)) served++;
    if (served !== slot.servedJobs) {
      this.renderSlot(this.entry(target), slot, nowMs);
      this.changed();
    }
  }

  /** A target left the configuration: all its series go, counters included. */
  removeTarget(name: string): void {
    if (this.targets.delete(name)) this.changed();
    this.settings.delete(name);
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

  /** The exposition text of every job family, cached until something changes. */
  render(): string {
    if (this.cachedText === undefined) this.cachedText = this.renderBuffer().toString("utf8");
    return this.cachedText;
  }

  /** The same body as UTF-8 bytes, assembled once per change from the per-family chunks. */
  renderBuffer(): Buffer {
    if (this.cachedBuffer === undefined) {
      const entries = [...this.targets.values()];
      this.cachedBuffer = assembleExposition(JOB_FAMILIES, (family) => {
        const source = SOURCE_OF_FAMILY.get(family) as SourceName;
        const chunks: Buffer[] = [];
        for (const entry of entries) {
          const chunk = entry.slots.get(source)?.chunks.get(family);
          if (chunk) chunks.push(chunk);
        }
        return chunks;
      });
    }
    return this.cachedBuffer;
  }

  private changed(): void {
    this.cachedText = undefined;
    this.cachedBuffer = undefined;
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
      this.changed();
    }
    return entry;
  }

  private slot(target: TargetIdentity, source: SourceName): Slot {
    const entry = this.entry(target);
    let slot = entry.slots.get(source);
    if (!slot) {
      slot = {
        tracker: this.newTracker(target.name, source),
        jobs: undefined,
        lastSuccessMs: Number.NEGATIVE_INFINITY,
        stale: false,
        servedJobs: 0,
        chunks: new Map(),
      };
      entry.slots.set(source, slot);
    }
    return slot;
  }

  private newTracker(targetName: string, source: SourceName): AnyTracker {
    const settings = () => this.settings.get(targetName) ?? DEFAULT_TRACKER_SETTINGS;
    switch (source) {
      case "spark":
        return new SparkTracker(settings);
      case "flink":
        return new FlinkTracker();
      case "dataarts":
        return new DataArtsTracker();
    }
  }

  /** Render every family of a slot into its chunks; returns the per-job series the guard left out. */
  private renderSlot(entry: TargetEntry, slot: Slot, nowMs: number): number {
    const tracker = slot.tracker;
    const families = tracker.families as ReadonlyArray<Family<unknown, unknown>>;
    const chunks = new Map<string, Buffer>();
    let dropped = 0;
    slot.servedJobs = 0;

    if (slot.jobs !== undefined && !slot.stale) {
      const jobFamilies = families.filter((f) => f.kind === "job");
      const served: Array<{ job: unknown; index: number; samples: Sample[][]; series: number }> = [];
      let total = 0;
      for (const job of slot.jobs) {
        if (!tracker.serves(job, nowMs)) continue;
        const samples = jobFamilies.map((family) => family.fromJob(job, this.sampleOptions));
        let series = 0;
        for (const list of samples) series += list.length;
        served.push({ job, index: served.length, samples, series });
        total += series;
      }
      let kept = served;
      const max = this.options.maxSeriesPerSource;
      if (total > max) {
        // Keep the most wanted jobs whole, in the guard's order, until the budget is spent.
        const byRank = [...served].sort(
          (a, b) => compareRank(tracker.dropRank(b.job), tracker.dropRank(a.job)) || a.index - b.index,
        );
        const keep = new Set<number>();
        let budget = max;
        for (const item of byRank) {
          if (item.series > budget) break;
          budget -= item.series;
          keep.add(item.index);
        }
        kept = served.filter((item) => keep.has(item.index));
        for (const item of served) if (!keep.has(item.index)) dropped += item.series;
      }
      slot.servedJobs = served.length;
      jobFamilies.forEach((family, i) => {
        const lines: string[] = [];
        for (const item of kept) {
          for (const sample of item.samples[i] as Sample[]) {
            lines.push(
              renderSample(family.name, entry.prefix, family.labelNames, sample.labels, sample.value),
            );
          }
        }
        if (lines.length > 0) chunks.set(family.name, Buffer.from(lines.join(""), "utf8"));
      });
    }

    const aggregates = tracker.aggregates();
    for (const family of families) {
      if (family.kind !== "aggregate") continue;
      if (slot.jobs === undefined || (slot.stale && !family.keepWhenStale)) continue;
      const lines: string[] = [];
      if (family.type === "histogram") {
        for (const sample of family.fromAggregates(aggregates)) {
          lines.push(
            renderHistogram(family.name, entry.prefix, family.labelNames, sample.labels, sample.histogram),
          );
        }
      } else {
        for (const sample of family.fromAggregates(aggregates)) {
          lines.push(renderSample(family.name, entry.prefix, family.labelNames, sample.labels, sample.value));
        }
      }
      if (lines.length > 0) chunks.set(family.name, Buffer.from(lines.join(""), "utf8"));
    }
    slot.chunks = chunks;
    return dropped;
  }
}
