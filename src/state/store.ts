// The job store: the last complete snapshot of every target and source, the counters their
// differences move, and the exposition text of all job families. Rendering happens here,
// after each poll, per (target, source) and per family; the body is assembled once per
// change and cached, so a scrape costs the size of the answer and never touches a job. Each
// job's lines are kept where they were written (kube-state-metrics' way): a poll re-renders
// only the jobs that changed and copies the others' bytes, into piece memory reused once no
// scrape can be writing it.
//
// Polls take the asynchronous path (applySuccessAsync): the diff and the render of tens of
// thousands of jobs run in slices of a few milliseconds with the event loop free in between, so
// scrapes keep flowing while a poll lands; then the body is published for scrapes, compressed
// on the threadpool. The synchronous methods do the same work in one go (tests, tools).

import type { TargetConfig } from "../config/types.js";
import { flatString } from "../flat-string.js";
import { dataArtsFamilies } from "../metrics/dataarts.js";
import { EMPTY_EXPOSITION, type PreparedExposition, prepareExposition } from "../metrics/exposition.js";
import { checkFamilies, type Family, type SampleOptions, type StateSeriesMode } from "../metrics/family.js";
import { flinkFamilies } from "../metrics/flink.js";
import {
  assembleExposition,
  type FamilyHeader,
  renderHeader,
  renderHistogram,
  renderSample,
  renderTargetLabels,
} from "../metrics/render.js";
import { sparkFamilies } from "../metrics/spark.js";
import type { JobsBySource, SourceName, TargetIdentity } from "../model.js";
import { DataArtsTracker } from "./dataarts.js";
import { FlinkTracker } from "./flink.js";
import { SparkTracker } from "./spark.js";
import { DEFAULT_TRACKER_SETTINGS, type SourceTracker, STEP_JOBS, type TrackerSettings } from "./tracker.js";

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
  /** Rendered lines per family, UTF-8, in pieces of about PIECE_BYTES. */
  chunks: Map<string, Buffer[]>;
  /** Served jobs by key, with where their lines are in `jobPieces`. */
  rendered: Map<string, RenderedJob>;
  /** Pieces per job family (in the tracker's order of job families) of the last render. */
  jobPieces: Buffer[][];
  /** Counts renders; a job's recorded place is good for the generation it was placed in. */
  generation: number;
  /** Keys of `jobs`, in order. */
  keys: string[];
  /** Rendered line of each aggregate row by its label array, per aggregate family. */
  aggregateLines: Map<string, Map<readonly string[], { value: number; line: string }>>;
  /** Last text and buffer of each aggregate family. */
  aggregateText: Map<string, Buffer>;
}

/** Pieces live in blocks of this size, reused once nothing serves them (larger pieces are not pooled). */
const BLOCK_BYTES = 512 * 1024;
/**
 * Job families are cut into pieces of about this many bytes (bounded copies and compressions):
 * a piece ends at the first job past it, so it fits its block unless that job's lines are
 * longer than the margin.
 */
const PIECE_BYTES = BLOCK_BYTES - 24 * 1024;
/** The asynchronous path gives the event loop back after about this long. */
const SLICE_MS = 4;

/** Runs a step generator to its end, synchronously. */
function runSync<R>(steps: Generator<void, R>): R {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

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
  private readonly allocate = (bytes: number): Buffer => this.allocatePiece(bytes);
  private cachedText: string | undefined;
  private cachedBuffer: Buffer | undefined;
  /** What scrapes serve: the last published body. */
  private published: PreparedExposition = EMPTY_EXPOSITION;
  /** Compressed segments by piece, kept while the piece is. */
  private readonly segments = new WeakMap<Buffer, Buffer>();
  private readonly headers = new Map<string, Buffer>();
  private unpublished = false;
  private changes = 0;
  private publishedChanges = 0;
  private publishing: Promise<void> | undefined;
  private readonly publishWaiters: Array<{ change: number; resolve: () => void }> = [];
  // Piece memory is reused from poll to poll: allocating (and the kernel zeroing) hundreds of
  // MB a poll cost more than copying into them, and drove collections by external memory.
  /** Expositions started, in order; each publication takes the next number. */
  private expositionSeq = 0;
  private publishedSeq = -1;
  private preparingSeq: number | undefined;
  /** Scrapes writing an exposition, by its number. */
  private readonly holds = new Map<number, number>();
  private readonly retired: Array<{ before: number; blocks: ArrayBuffer[] }> = [];
  private readonly freeBlocks: ArrayBuffer[] = [];
  /** Blocks the last render's text arena used: kept free beside those for pieces. */
  private arenaBlocks = 0;

  constructor(private readonly options: StoreOptions) {
    this.sampleOptions = { stateSeries: options.stateSeries };
    for (const target of options.targets ?? []) this.configureTarget(target);
  }

  /** The store as a poll's sink: the sliced methods, each resolving once scrapes serve the result. */
  readonly pollSink = {
    applySuccess: <S extends SourceName>(
      target: TargetIdentity,
      source: S,
      jobs: readonly JobsBySource[S][],
      nowMs: number,
    ): Promise<void> => this.applySuccessAsync(target, source, jobs, nowMs),
    applyFailure: (target: TargetIdentity, source: SourceName, nowMs: number): Promise<void> =>
      this.applyFailureAsync(target, source, nowMs),
  };

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
    runSync(this.successSteps(target, source, jobs, nowMs));
    this.invalidate();
  }

  /**
   * The same as applySuccess with the event loop free every few milliseconds; resolves once
   * scrapes serve the result (published, compressed).
   */
  async applySuccessAsync<S extends SourceName>(
    target: TargetIdentity,
    source: S,
    jobs: readonly JobsBySource[S][],
    nowMs: number,
  ): Promise<void> {
    await runSliced(this.successSteps(target, source, jobs, nowMs));
    await this.changed();
  }

  private *successSteps<S extends SourceName>(
    target: TargetIdentity,
    source: S,
    jobs: readonly JobsBySource[S][],
    nowMs: number,
  ): Generator<void, void> {
    const slot = this.slot(target, source);
    const tracker = slot.tracker;
    const byKey = new Map<string, JobsBySource[S]>();
    for (let index = 0; index < jobs.length; index++) {
      const job = jobs[index] as JobsBySource[S];
      byKey.set(tracker.key(job), job);
      if (index % STEP_JOBS === STEP_JOBS - 1) yield;
    }
    yield;
    // Served in key order. The previous snapshot's keys come first, in their order, then the
    // new ones: the sort finds one long sorted run and merges the few new keys into it, so a
    // poll costs about linear time, not n log n. Default sort order is UTF-16 code units, as `<`.
    const keys: string[] = [];
    const previousKeys = slot.keys;
    for (const key of previousKeys) if (byKey.has(key)) keys.push(key);
    if (keys.length < byKey.size) {
      const known = new Set(keys);
      // Keys live as long as their job: kept flat (see flat-string.ts).
      for (const key of byKey.keys()) if (!known.has(key)) keys.push(flatString(key));
    }
    keys.sort();
    yield;
    const sorted = keys.map((key) => byKey.get(key) as JobsBySource[S]);
    slot.keys = keys;
    const baseline = slot.jobs === undefined;
    const unknown = yield* tracker.observeSteps(sorted, nowMs, baseline, keys);
    yield;
    const dropped = yield* this.renderSteps(this.entry(target), slot, sorted, nowMs, false);
    slot.jobs = sorted;
    slot.lastSuccessMs = nowMs;
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
    if (runSync(this.failureSteps(target, source, nowMs))) this.invalidate();
  }

  /** The same as applyFailure, sliced; resolves once scrapes serve the result. */
  async applyFailureAsync(target: TargetIdentity, source: SourceName, nowMs: number): Promise<void> {
    if (await runSliced(this.failureSteps(target, source, nowMs))) await this.changed();
  }

  /** Returns whether anything served changed. */
  private *failureSteps(target: TargetIdentity, source: SourceName, nowMs: number): Generator<void, boolean> {
    const slot = this.slot(target, source);
    if (slot.jobs === undefined || slot.stale) return false;
    if (nowMs - slot.lastSuccessMs > this.options.staleAfterMs) {
      yield* this.renderSteps(this.entry(target), slot, slot.jobs, nowMs, true);
      this.options.observer?.setJobsHeld(target.name, source, 0);
      return true;
    }
    // Time moves on while polls fail: finished jobs still leave at the end of their retention.
    const tracker = slot.tracker;
    let served = 0;
    for (const job of slot.jobs) if (tracker.serves(job, nowMs)) served++;
    if (served === slot.servedJobs) return false;
    yield* this.renderSteps(this.entry(target), slot, slot.jobs, nowMs, false);
    return true;
  }

  /** A target left the configuration: all its series go, counters included. */
  removeTarget(name: string): Promise<void> {
    this.settings.delete(name);
    return this.targets.delete(name) ? this.changed() : Promise.resolve();
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
          const pieces = entry.slots.get(source)?.chunks.get(family);
          if (pieces) chunks.push(...pieces);
        }
        return chunks;
      });
    }
    return this.cachedBuffer;
  }

  /**
   * What scrapes serve: the body as of the last publication, plain pieces and compressed
   * segments from the same moment. Publication follows every change within moments; the
   * asynchronous methods resolve once it has happened.
   */
  exposition(): PreparedExposition {
    // A change made synchronously is published from the first look on.
    if (this.unpublished) void this.changed();
    return this.published;
  }

  /** The body's pieces in order, headers included; no copy of any piece. */
  private currentParts(): Buffer[] {
    const entries = [...this.targets.values()];
    const parts: Buffer[] = [];
    for (const family of JOB_FAMILIES) {
      const source = SOURCE_OF_FAMILY.get(family.name) as SourceName;
      let header: Buffer | undefined;
      for (const entry of entries) {
        const pieces = entry.slots.get(source)?.chunks.get(family.name);
        if (!pieces || pieces.length === 0) continue;
        if (header === undefined) {
          header = this.headers.get(family.name);
          if (header === undefined) {
            header = Buffer.from(renderHeader(family.name, family.help, family.type), "utf8");
            this.headers.set(family.name, header);
          }
          parts.push(header);
        }
        for (const piece of pieces) if (piece.length > 0) parts.push(piece);
      }
    }
    return parts;
  }

  /** Something served changed (synchronous path): drop the caches, publish when first asked. */
  private invalidate(): void {
    this.cachedText = undefined;
    this.cachedBuffer = undefined;
    this.unpublished = true;
  }

  /** Something served changed: drop the caches and publish; resolves once published. */
  private changed(): Promise<void> {
    this.cachedText = undefined;
    this.cachedBuffer = undefined;
    this.unpublished = false;
    const change = ++this.changes;
    const done = new Promise<void>((resolve) => this.publishWaiters.push({ change, resolve }));
    this.publishing ??= this.publishLoop().finally(() => {
      this.publishing = undefined;
    });
    return done;
  }

  // Changes that arrive while a publication runs are taken by the next one: at most one runs,
  // and a burst of changes (three sources ending together) costs one or two, not one each.
  private async publishLoop(): Promise<void> {
    while (this.publishedChanges < this.changes) {
      const upTo = this.changes;
      const seq = this.expositionSeq++;
      this.preparingSeq = seq;
      try {
        const prepared = await prepareExposition(this.currentParts(), this.segments);
        this.published = { ...prepared, hold: () => this.hold(seq) };
        this.publishedSeq = seq;
      } catch {
        // Compression cannot fail on a buffer short of memory exhaustion; the last body stays.
      }
      this.preparingSeq = undefined;
      this.recycle();
      this.publishedChanges = upTo;
      for (let i = this.publishWaiters.length - 1; i >= 0; i--) {
        const waiter = this.publishWaiters[i] as { change: number; resolve: () => void };
        if (waiter.change <= upTo) {
          this.publishWaiters.splice(i, 1);
          waiter.resolve();
        }
      }
    }
  }

  /** A scrape writes exposition `seq`: its pieces stay as they are until released. */
  private hold(seq: number): () => void {
    this.holds.set(seq, (this.holds.get(seq) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.holds.get(seq) ?? 1) - 1;
      if (left > 0) this.holds.set(seq, left);
      else this.holds.delete(seq);
      this.recycle();
    };
  }

  /** A piece of at least `bytes`, from a block no longer served where there is one. */
  private allocatePiece(bytes: number): Buffer {
    if (bytes <= BLOCK_BYTES) {
      const block = this.freeBlocks.pop() ?? new ArrayBuffer(BLOCK_BYTES);
      return Buffer.from(block, 0, bytes);
    }
    return Buffer.allocUnsafeSlow(bytes);
  }

  /** Pieces a render replaced: their blocks return to the pool once nothing can serve them. */
  private retire(pieces: readonly Buffer[]): void {
    const blocks: ArrayBuffer[] = [];
    for (const piece of pieces) {
      if (piece.byteOffset === 0 && piece.buffer.byteLength === BLOCK_BYTES)
        blocks.push(piece.buffer as ArrayBuffer);
    }
    if (blocks.length > 0) this.retired.push({ before: this.expositionSeq, blocks });
  }

  // A block retired while exposition `before` was the next to be prepared is in no exposition
  // from `before` on. It is free once every earlier one is neither published, nor being
  // prepared, nor held by a scrape still writing it.
  /**
   * Blocks worth keeping free: renders of one slot at a time reuse what the previous one
   * retired, so blocks for the largest slot's pieces and for the last render's text arena
   * are enough; more would be memory idle between polls.
   */
  private poolCap(): number {
    let largest = 0;
    for (const entry of this.targets.values()) {
      for (const slot of entry.slots.values()) {
        let blocks = 0;
        for (const pieces of slot.jobPieces) blocks += pieces.length;
        largest = Math.max(largest, blocks);
      }
    }
    return largest + this.arenaBlocks;
  }

  /** Blocks nothing serves any more: into the pool, up to its cap. */
  private free(blocks: readonly ArrayBuffer[]): void {
    const cap = this.poolCap();
    for (const block of blocks) if (this.freeBlocks.length < cap) this.freeBlocks.push(block);
  }

  private recycle(): void {
    if (this.retired.length === 0) return;
    let oldestLive = this.publishedSeq;
    if (this.preparingSeq !== undefined) oldestLive = Math.min(oldestLive, this.preparingSeq);
    for (const seq of this.holds.keys()) oldestLive = Math.min(oldestLive, seq);
    let kept = 0;
    for (const batch of this.retired) {
      if (batch.before <= oldestLive) {
        this.free(batch.blocks);
      } else {
        this.retired[kept++] = batch;
      }
    }
    this.retired.length = kept;
  }

  /** Piece blocks (of BLOCK_BYTES) idle in the pool, and retired but still maybe served (for the benchmark). */
  pieceBlocks(): { free: number; retired: number; blockBytes: number } {
    let retired = 0;
    for (const batch of this.retired) retired += batch.blocks.length;
    return { free: this.freeBlocks.length, retired, blockBytes: BLOCK_BYTES };
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
        rendered: new Map(),
        jobPieces: [],
        generation: 0,
        keys: [],
        aggregateLines: new Map(),
        aggregateText: new Map(),
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

  /**
   * Render every family of a slot from `jobs` into new pieces, swapped in at the end so a slot
   * is never seen half rendered; returns the per-job series the guard left out. `stale`: the
   * per-job series and snapshot gauges go, counters stay.
   *
   * Per-job lines are rendered only for jobs that changed since the last render (or were not
   * served then); the lines of every other job are copied from the pieces that hold them, in
   * runs, so a poll with 5 % churn renders 5 % of the jobs. A piece whose bytes would come out
   * the same is kept as it is, and with it its compressed segment.
   */
  private *renderSteps(
    entry: TargetEntry,
    slot: Slot,
    jobs: readonly unknown[],
    nowMs: number,
    stale: boolean,
  ): Generator<void, number> {
    const tracker = slot.tracker;
    const families = tracker.families as ReadonlyArray<Family<unknown, unknown>>;
    const jobFamilies = families.filter((f) => f.kind === "job");
    const chunks = new Map<string, Buffer[]>();
    let dropped = 0;
    let servedJobs = 0;
    const cache = slot.rendered;

    if (!stale) {
      // Rendered lines are encoded at once into blocks of the piece pool: as strings they
      // lived until the pieces were built, long enough to be promoted and swept later.
      const arena = new TextArena(() => this.freeBlocks.pop() ?? new ArrayBuffer(BLOCK_BYTES));
      // Pass 1: every served job with its series, known or last known. New jobs render here;
      // known ones wait for the guard, so that a job it leaves out costs no render (at 50,000
      // jobs per source the default guard leaves out a fifth of them at every poll).
      const served: RenderedJob[] = [];
      const jobsNow: unknown[] = [];
      const servedKeys: string[] = [];
      const work: number[] = [];
      let total = 0;
      let sinceYield = 0;
      // The keys of `jobs` (the last complete snapshot), in the same order.
      const keys = slot.keys;
      for (let index = 0; index < jobs.length; index++) {
        const job = jobs[index];
        if (!tracker.serves(job, nowMs)) continue;
        const key = keys[index] ?? tracker.key(job);
        let rendered = cache.get(key);
        let todo: number;
        if (rendered === undefined) {
          rendered = renderJob(job, jobFamilies, entry.prefix, this.sampleOptions, arena);
          cache.set(key, rendered);
          todo = READY;
          sinceYield += 16;
        } else if (rendered.generation !== slot.generation) {
          todo = sameJob(rendered.job, job) ? WHOLE : WHOLE_CHANGED;
        } else {
          todo = sameJob(rendered.job, job) ? COPY : CHANGED;
        }
        rendered.seenIn = slot.generation + 1;
        served.push(rendered);
        jobsNow.push(job);
        servedKeys.push(key);
        work.push(todo);
        total += rendered.series;
        if (++sinceYield >= 256) {
          sinceYield = 0;
          yield;
        }
      }
      // Jobs gone from the snapshot (or no longer served) leave the cache.
      if (cache.size > served.length) {
        let visited = 0;
        for (const key of cache.keys()) {
          if ((cache.get(key) as RenderedJob).seenIn !== slot.generation + 1) cache.delete(key);
          if (++visited % (STEP_JOBS * 4) === 0) yield;
        }
      }
      yield;
      // The series of a changed job as it is now: counted without rendering where the guard
      // may leave it out.
      const exactSeries = (index: number): number => {
        const todo = work[index] as number;
        const rendered = served[index] as RenderedJob;
        if (todo !== CHANGED && todo !== WHOLE_CHANGED) return rendered.series;
        const series = countSeries(jobsNow[index], jobFamilies, this.sampleOptions);
        if (todo === WHOLE_CHANGED) {
          // Its lines are nowhere: the count is all that is kept until it is served whole.
          rendered.job = jobsNow[index];
          rendered.series = series;
          work[index] = WHOLE;
        }
        return series;
      };
      // A served job's lines, ready to be copied into pieces.
      const place = (index: number): void => {
        const todo = work[index] as number;
        const job = jobsNow[index];
        let rendered = served[index] as RenderedJob;
        if (todo === WHOLE || todo === WHOLE_CHANGED) {
          rendered = renderJob(job, jobFamilies, entry.prefix, this.sampleOptions, arena);
          rendered.seenIn = slot.generation + 1;
          cache.set(servedKeys[index] as string, rendered);
          served[index] = rendered;
        } else if (todo === CHANGED) {
          // Only the families that read a changed field render; the others' lines are copied
          // like an unchanged job's.
          rerenderJob(rendered, job, jobFamilies, entry.prefix, this.sampleOptions, arena);
        } else rendered.job = job;
        work[index] = READY;
      };
      let kept: RenderedJob[] = [];
      const max = this.options.maxSeriesPerSource;
      if (total <= max) {
        for (let index = 0; index < served.length; index++) {
          place(index);
          if (index % 256 === 255) yield;
        }
        kept = served;
        total = 0;
        for (const rendered of served) total += rendered.series;
      }
      if (kept !== served || total > max) {
        // The series guard: the most wanted jobs whole, in its order, until the budget is
        // spent; the first that does not fit ends it. Counts are exact (a changed job's are
        // counted), so what is served does not depend on what the last poll served.
        const order = served.map((_, index) => index);
        const ranks = jobsNow.map((job) => tracker.dropRank(job));
        order.sort(
          (a, b) =>
            compareRank(ranks[b] as readonly [number, number], ranks[a] as readonly [number, number]) ||
            a - b,
        );
        yield;
        const keep = new Uint8Array(served.length);
        let budget = max;
        for (const index of order) {
          const series = exactSeries(index);
          if (series > budget) break;
          budget -= series;
          keep[index] = 1;
        }
        yield;
        kept = [];
        for (let index = 0; index < served.length; index++) {
          if (keep[index] === 1) {
            place(index);
            kept.push(served[index] as RenderedJob);
          } else dropped += exactSeries(index);
          if (index % 256 === 255) yield;
        }
      }
      servedJobs = served.length;
      const generation = slot.generation + 1;
      for (let f = 0; f < jobFamilies.length; f++) {
        const family = jobFamilies[f] as Family<unknown, unknown>;
        const previous = slot.jobPieces[f] ?? [];
        const pieces = yield* buildPieces(kept, f, previous, arena.chunks, this.allocate);
        if (pieces.length > 0) chunks.set(family.name, pieces);
        slot.jobPieces[f] = pieces;
        const current = new Set(pieces);
        this.retire(previous.filter((piece) => !current.has(piece)));
      }
      for (const rendered of kept) rendered.generation = generation;
      // Jobs left out by the series guard point into the arena: they render anew next time
      // (their generation is not the slot's).
      const blocks = arena.release();
      // The last render's need, not the largest ever: a first render fills an arena with a
      // whole slot's text, later ones only with what changed.
      this.arenaBlocks = blocks.length;
      this.free(blocks);
      slot.generation = generation;
    } else {
      cache.clear();
      for (const pieces of slot.jobPieces) this.retire(pieces);
      slot.jobPieces = [];
      slot.generation++;
    }

    const aggregates = tracker.aggregates();
    for (const family of families) {
      if (family.kind !== "aggregate") continue;
      if (stale && !family.keepWhenStale) continue;
      const lines: string[] = [];
      // Whether the lines may differ from the last render's (rows of counters say so below).
      let changed = true;
      if (family.type === "histogram") {
        for (const sample of family.fromAggregates(aggregates)) {
          lines.push(
            renderHistogram(family.name, entry.prefix, family.labelNames, sample.labels, sample.histogram),
          );
        }
      } else {
        // Rows keep their label arrays from render to render (CountTable): a row whose value
        // did not move keeps its line. DataArts' per-job instance counters make this family
        // as long as the job list.
        const previous = slot.aggregateLines.get(family.name);
        const current = new Map<readonly string[], { value: number; line: string }>();
        changed = previous === undefined;
        for (const sample of family.fromAggregates(aggregates)) {
          if (lines.length % (STEP_JOBS * 2) === STEP_JOBS * 2 - 1) yield;
          let row = previous?.get(sample.labels);
          if (row === undefined || !Object.is(row.value, sample.value)) {
            changed = true;
            row = {
              value: sample.value,
              line: flatString(
                renderSample(family.name, entry.prefix, family.labelNames, sample.labels, sample.value),
              ),
            };
          }
          current.set(sample.labels, row);
          lines.push(row.line);
        }
        // The same rows, each with its old line, in the same number: the same text.
        if (previous !== undefined && previous.size !== current.size) changed = true;
        slot.aggregateLines.set(family.name, current);
      }
      // The lines go straight into a buffer: joined into one string first, a family as long
      // as the job list (DataArts' instance counters) was a large string every poll, allocated
      // where the collector only frees it in a full collection.
      const previous = slot.aggregateText.get(family.name);
      let piece: Buffer | undefined;
      if (!changed && previous !== undefined) piece = previous;
      else {
        let bytes = 0;
        for (const line of lines) bytes += Buffer.byteLength(line, "utf8");
        if (bytes > 0) {
          piece = Buffer.allocUnsafe(bytes);
          let offset = 0;
          for (const line of lines) offset += piece.write(line, offset, "utf8");
          // The same bytes as before keep the same buffer, so its compressed segment is reused.
          if (previous?.equals(piece)) piece = previous;
        }
      }
      if (piece !== undefined && piece.length > 0) {
        slot.aggregateText.set(family.name, piece);
        chunks.set(family.name, [piece]);
      } else {
        slot.aggregateText.delete(family.name);
      }
      yield;
    }
    slot.chunks = chunks;
    slot.servedJobs = servedJobs;
    slot.stale = stale;
    return dropped;
  }
}

/** Whether two normalised jobs have the same fields (all primitives), so the same lines. */
function sameJob(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let fields = 0;
  for (const field in x) {
    if (x[field] !== y[field]) return false;
    fields++;
  }
  for (const _ in y) fields--;
  return fields === 0;
}

/** One served job's lines: rendered once, then found in the slot's pieces until it changes. */
class RenderedJob {
  // A plain array of small integers: a typed array per job would be three objects and an
  // external backing store per job for the collector to trace and sweep.
  /**
   * Per job family: `[source, start, end, series]`. `source` is a piece of the slot's pieces of
   * `generation` (0 and up), a chunk of the render's arena (-2 and down: chunk -2 - source)
   * while freshly rendered, or -1 for no lines.
   */
  readonly at: number[];
  /** The render generation whose pieces hold this job's lines; -1 before any. */
  generation = -1;
  /** The generation that last served it; older ones leave the cache. */
  seenIn = -1;
  /** Series of all job families. */
  series = 0;

  constructor(
    public job: unknown,
    families: number,
  ) {
    this.at = new Array<number>(families * AT_FIELDS).fill(0);
  }
}

// What a served job needs before its lines can be copied into pieces (renderSteps).
/** Rendered in this render. */
const READY = 0;
/** Unchanged, its lines in the slot's pieces. */
const COPY = 1;
/** Changed, its lines in the slot's pieces: the families reading a changed field render. */
const CHANGED = 2;
/** Unchanged but its lines nowhere (left out by the series guard last time): renders whole. */
const WHOLE = 3;
/** Changed and its lines nowhere: renders whole; its series are last time's until counted. */
const WHOLE_CHANGED = 4;

/** The series a job has in the job families, counted without rendering them. */
function countSeries(
  job: unknown,
  jobFamilies: ReadonlyArray<Family<unknown, unknown>>,
  options: SampleOptions,
): number {
  let series = 0;
  for (const family of jobFamilies) if (family.kind === "job") series += family.fromJob(job, options).length;
  return series;
}

/** Numbers kept per job family in `RenderedJob.at`. */
const AT_FIELDS = 4;

/** Text of one render, encoded as it is rendered, in pool blocks given back when the render ends. */
class TextArena {
  readonly chunks: Buffer[] = [];
  private current: Buffer | undefined;
  private used = 0;

  constructor(private readonly take: () => ArrayBuffer) {}

  /** Writes `text`; `at[index..index+2]` becomes its `[source, start, end]`. */
  write(text: string, at: number[], index: number): void {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes === 0) {
      at[index] = -1;
      at[index + 1] = 0;
      at[index + 2] = 0;
      return;
    }
    if (this.current === undefined || this.used + bytes > this.current.length) {
      this.current = bytes <= BLOCK_BYTES ? Buffer.from(this.take()) : Buffer.allocUnsafeSlow(bytes);
      this.chunks.push(this.current);
      this.used = 0;
    }
    at[index] = -2 - (this.chunks.length - 1);
    at[index + 1] = this.used;
    this.used += this.current.write(text, this.used, "utf8");
    at[index + 2] = this.used;
  }

  /** Ends the arena; returns its pool blocks. */
  release(): ArrayBuffer[] {
    const blocks: ArrayBuffer[] = [];
    for (const chunk of this.chunks) {
      if (chunk.byteOffset === 0 && chunk.buffer.byteLength === BLOCK_BYTES)
        blocks.push(chunk.buffer as ArrayBuffer);
    }
    this.chunks.length = 0;
    this.current = undefined;
    return blocks;
  }
}

/** The lines of `job` in one job family, and how many series they are. */
function renderFamily(
  job: unknown,
  family: Family<unknown, unknown>,
  prefix: string,
  options: SampleOptions,
): { text: string; series: number } {
  let text = "";
  let series = 0;
  if (family.kind === "job") {
    for (const sample of family.fromJob(job, options)) {
      text += renderSample(family.name, prefix, family.labelNames, sample.labels, sample.value);
      series++;
    }
  }
  return { text, series };
}

function renderJob(
  job: unknown,
  jobFamilies: ReadonlyArray<Family<unknown, unknown>>,
  prefix: string,
  options: SampleOptions,
  arena: TextArena,
): RenderedJob {
  const rendered = new RenderedJob(job, jobFamilies.length);
  for (let f = 0; f < jobFamilies.length; f++) {
    const { text, series } = renderFamily(job, jobFamilies[f] as Family<unknown, unknown>, prefix, options);
    arena.write(text, rendered.at, f * AT_FIELDS);
    rendered.at[f * AT_FIELDS + 3] = series;
    rendered.series += series;
  }
  return rendered;
}

/** A placed job that changed: renders the families that read a changed field. */
function rerenderJob(
  rendered: RenderedJob,
  job: unknown,
  jobFamilies: ReadonlyArray<Family<unknown, unknown>>,
  prefix: string,
  options: SampleOptions,
  arena: TextArena,
): void {
  const before = rendered.job as Record<string, unknown>;
  const after = job as Record<string, unknown>;
  for (let f = 0; f < jobFamilies.length; f++) {
    const family = jobFamilies[f] as Family<unknown, unknown>;
    if (family.kind !== "job") continue;
    let changed = false;
    for (const field of family.reads) {
      if (before[field] !== after[field]) {
        changed = true;
        break;
      }
    }
    if (!changed) continue;
    const { text, series } = renderFamily(job, family, prefix, options);
    arena.write(text, rendered.at, f * AT_FIELDS);
    rendered.series += series - (rendered.at[f * AT_FIELDS + 3] as number);
    rendered.at[f * AT_FIELDS + 3] = series;
  }
  rendered.job = job;
}

/**
 * The pieces of one job family from `jobs` in order: each job's lines are copied, in runs, from
 * the previous pieces or the render's arena; a new piece that would equal a previous one byte
 * for byte (one run covering it whole) is that previous buffer.
 */
function* buildPieces(
  jobs: readonly RenderedJob[],
  family: number,
  previous: readonly Buffer[],
  arena: readonly Buffer[],
  allocate: (bytes: number) => Buffer,
): Generator<void, Buffer[]> {
  const pieces: Buffer[] = [];
  const slot = family * AT_FIELDS;
  const sourceOf = (from: number) => (from >= 0 ? previous[from] : arena[-2 - from]) as Buffer;
  let first = 0;
  while (first < jobs.length) {
    // Measure the piece: jobs until it holds PIECE_BYTES.
    let bytes = 0;
    let last = first;
    for (; last < jobs.length && bytes < PIECE_BYTES; last++) {
      const at = (jobs[last] as RenderedJob).at;
      bytes += (at[slot + 2] as number) - (at[slot + 1] as number);
    }
    const index = pieces.length;
    const whole = reusable(jobs, first, last, slot, previous, bytes);
    let piece: Buffer;
    if (whole !== undefined) {
      piece = whole;
    } else {
      piece = allocate(bytes);
      // A run of bytes copied from one source, flushed when it breaks.
      let runFrom = -1;
      let runStart = 0;
      let runEnd = 0;
      let runTo = 0;
      let offset = 0;
      for (let i = first; i < last; i++) {
        const at = (jobs[i] as RenderedJob).at;
        const from = at[slot] as number;
        const start = at[slot + 1] as number;
        const end = at[slot + 2] as number;
        if (end === start) continue;
        if (runFrom === from && runEnd === start) {
          runEnd = end;
        } else {
          if (runFrom !== -1) sourceOf(runFrom).copy(piece, runTo, runStart, runEnd);
          runFrom = from;
          runStart = start;
          runEnd = end;
          runTo = offset;
        }
        offset += end - start;
      }
      if (runFrom !== -1) sourceOf(runFrom).copy(piece, runTo, runStart, runEnd);
    }
    // Where each job's lines are now.
    let offset = 0;
    for (let i = first; i < last; i++) {
      const at = (jobs[i] as RenderedJob).at;
      const length = (at[slot + 2] as number) - (at[slot + 1] as number);
      at[slot] = piece.length > 0 ? index : -1;
      at[slot + 1] = offset;
      at[slot + 2] = offset + length;
      offset += length;
    }
    if (piece.length > 0) pieces.push(piece);
    first = last;
    yield;
  }
  return pieces;
}

/** The previous piece that `jobs[first..last)` would reproduce exactly, if any. */
function reusable(
  jobs: readonly RenderedJob[],
  first: number,
  last: number,
  slot: number,
  previous: readonly Buffer[],
  bytes: number,
): Buffer | undefined {
  const head = (jobs[first] as RenderedJob).at;
  const from = head[slot] as number;
  if (from < 0 || head[slot + 1] !== 0) return undefined;
  const candidate = previous[from];
  if (candidate === undefined || candidate.length !== bytes) return undefined;
  let expect = 0;
  for (let i = first; i < last; i++) {
    const at = (jobs[i] as RenderedJob).at;
    if (at[slot] !== from || at[slot + 1] !== expect) return undefined;
    expect = at[slot + 2] as number;
  }
  return expect === bytes ? candidate : undefined;
}
