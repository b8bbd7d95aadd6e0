// Each job's lines, rendered once and kept where they were written (kube-state-metrics' metrics
// store): per target and source, a poll re-renders only the jobs that changed (and of those only
// the families that read a changed field) and copies the others' bytes into new pieces. The
// series guard (state/series-guard.ts) decides between the two passes which jobs are kept, so
// a job it leaves out costs no render.

import { flatString } from "../flat-string.js";
import type { BlockPool } from "./block-pool.js";
import type { Family, SampleOptions } from "./family.js";
import { buildPieces } from "./pieces.js";
import { renderHistogram, renderSample } from "./render.js";
import {
  CHANGED,
  COPY,
  countSeries,
  READY,
  type RenderedJob,
  renderJob,
  rerenderJob,
  sameJob,
  TextArena,
  WHOLE,
  WHOLE_CHANGED,
} from "./rendered-job.js";

/** Jobs handled between two yields. */
const STEP_JOBS = 512;

/** The served jobs of one render, after its first pass: what the series guard decides on. */
export interface ServedJobs {
  /** Jobs served (retention applied), in key order. */
  readonly jobs: readonly unknown[];
  /** Series of all served jobs, known or last known. */
  readonly total: number;
  /** Series of served job `index` as it is now (a changed job is counted without text). */
  series(index: number): number;
}

interface Render extends ServedJobs {
  arena: TextArena;
  served: RenderedJob[];
  keys: string[];
  work: number[];
}

/** The lines of one target and source: job families as pieces, aggregate families as text. */
export class SlotLines {
  private readonly jobFamilies: ReadonlyArray<Family<unknown, unknown>>;
  /** Served jobs by key, with where their lines are in `jobPieces`. */
  private readonly rendered = new Map<string, RenderedJob>();
  /** Pieces per job family (in the order of `jobFamilies`) of the last render. */
  private jobPieces: Buffer[][] = [];
  /** Counts renders; a job's recorded place is good for the generation it was placed in. */
  private generation = 0;
  /** Rendered line of each aggregate row by its label array, per aggregate family. */
  private readonly aggregateLines = new Map<
    string,
    Map<readonly string[], { value: number; line: string }>
  >();
  /** Last text of each aggregate family. */
  private readonly aggregateText = new Map<string, Buffer>();
  /** What is served per family name: the pieces of the last render. */
  private pieces = new Map<string, Buffer[]>();
  /** The render under way: its pieces, and the pieces it replaces, swapped in together at its end. */
  private next = new Map<string, Buffer[]>();
  private replaced: Buffer[] = [];

  constructor(
    private readonly families: ReadonlyArray<Family<unknown, unknown>>,
    private readonly prefix: string,
    private readonly options: SampleOptions,
    private readonly pool: BlockPool,
    /** The exposition that will be prepared next: pieces replaced now are in none from it on. */
    private readonly nextSeq: () => number,
  ) {
    this.jobFamilies = families.filter((f) => f.kind === "job");
  }

  /** The pieces served of family `name`, in order; undefined where it has none. */
  served(name: string): readonly Buffer[] | undefined {
    return this.pieces.get(name);
  }

  /** Pool blocks the job pieces take. */
  blocks(): number {
    let blocks = 0;
    for (const pieces of this.jobPieces) blocks += pieces.length;
    return blocks;
  }

  /**
   * Pass 1: every served job with its series, known or last known. New jobs render here; known
   * ones wait for the guard, so that a job it leaves out costs no render. `keys[i]` is the key
   * of `jobs[i]`.
   */
  *collect(
    jobs: readonly unknown[],
    keys: readonly string[],
    serves: (job: unknown) => boolean,
  ): Generator<void, ServedJobs> {
    // Rendered lines are encoded at once into blocks of the pool: as strings they lived until
    // the pieces were built, long enough to be promoted and swept later.
    const arena = new TextArena(() => this.pool.take());
    const cache = this.rendered;
    const served: RenderedJob[] = [];
    const jobsNow: unknown[] = [];
    const servedKeys: string[] = [];
    const work: number[] = [];
    let total = 0;
    let sinceYield = 0;
    for (let index = 0; index < jobs.length; index++) {
      const job = jobs[index];
      if (!serves(job)) continue;
      const key = keys[index] as string;
      let rendered = cache.get(key);
      let todo: number;
      if (rendered === undefined) {
        rendered = renderJob(job, this.jobFamilies, this.prefix, this.options, arena);
        cache.set(key, rendered);
        todo = READY;
        sinceYield += 16;
      } else if (rendered.generation !== this.generation) {
        todo = sameJob(rendered.job, job) ? WHOLE : WHOLE_CHANGED;
      } else {
        todo = sameJob(rendered.job, job) ? COPY : CHANGED;
      }
      rendered.seenIn = this.generation + 1;
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
        if ((cache.get(key) as RenderedJob).seenIn !== this.generation + 1) cache.delete(key);
        if (++visited % (STEP_JOBS * 4) === 0) yield;
      }
    }
    const jobFamilies = this.jobFamilies;
    const options = this.options;
    const render: Render = {
      jobs: jobsNow,
      total,
      arena,
      served,
      keys: servedKeys,
      work,
      // The series of a changed job as it is now: counted without rendering where the guard
      // may leave it out.
      series(index: number): number {
        const todo = work[index] as number;
        const rendered = served[index] as RenderedJob;
        if (todo !== CHANGED && todo !== WHOLE_CHANGED) return rendered.series;
        const series = countSeries(jobsNow[index], jobFamilies, options);
        if (todo === WHOLE_CHANGED) {
          // Its lines are nowhere: the count is all that is kept until it is served whole.
          rendered.job = jobsNow[index];
          rendered.series = series;
          work[index] = WHOLE;
        }
        return series;
      },
    };
    return render;
  }

  /** Places every served job: changed ones render, so their series are exact from then on. */
  *placeAll(servedJobs: ServedJobs): Generator<void, void> {
    const render = servedJobs as Render;
    for (let index = 0; index < render.served.length; index++) {
      this.placeOne(render, index);
      if (index % 256 === 255) yield;
    }
  }

  /** The series of every served job, exact once `placeAll` ran. */
  placedSeries(servedJobs: ServedJobs): number {
    let total = 0;
    for (const rendered of (servedJobs as Render).served) total += rendered.series;
    return total;
  }

  /** A served job's lines, ready to be copied into pieces. */
  private placeOne(render: Render, index: number): void {
    const { served, work, arena } = render;
    const todo = work[index] as number;
    if (todo === READY) return;
    const job = render.jobs[index];
    let rendered = served[index] as RenderedJob;
    if (todo === WHOLE || todo === WHOLE_CHANGED) {
      rendered = renderJob(job, this.jobFamilies, this.prefix, this.options, arena);
      rendered.seenIn = this.generation + 1;
      this.rendered.set(render.keys[index] as string, rendered);
      served[index] = rendered;
    } else if (todo === CHANGED) {
      // Only the families that read a changed field render; the others' lines are copied
      // like an unchanged job's.
      rerenderJob(rendered, job, this.jobFamilies, this.prefix, this.options, arena);
    } else rendered.job = job;
    work[index] = READY;
  }

  /**
   * Pass 2: the jobs `keep` marks (all where undefined) are placed and copied into new pieces,
   * served from the end of `renderAggregates` on.
   */
  *build(servedJobs: ServedJobs, keep: Uint8Array | undefined): Generator<void, void> {
    const render = servedJobs as Render;
    const { served, arena } = render;
    const kept: RenderedJob[] = [];
    for (let index = 0; index < served.length; index++) {
      if (keep === undefined || keep[index] === 1) {
        this.placeOne(render, index);
        kept.push(served[index] as RenderedJob);
      }
      if (index % 256 === 255) yield;
    }
    const generation = this.generation + 1;
    const pieces = new Map<string, Buffer[]>();
    for (let f = 0; f < this.jobFamilies.length; f++) {
      const family = this.jobFamilies[f] as Family<unknown, unknown>;
      const previous = this.jobPieces[f] ?? [];
      const built = yield* buildPieces(kept, f, previous, arena.buffers, (bytes) =>
        this.pool.allocate(bytes),
      );
      if (built.length > 0) pieces.set(family.name, built);
      this.jobPieces[f] = built;
      const current = new Set(built);
      for (const piece of previous) if (!current.has(piece)) this.replaced.push(piece);
    }
    for (const rendered of kept) rendered.generation = generation;
    // Jobs left out by the series guard point into the arena: they render anew next time
    // (their generation is not the slot's).
    this.pool.arenaDone(arena.release());
    this.generation = generation;
    this.next = pieces;
  }

  /** The source went stale: its per-job series go. */
  dropJobs(): void {
    this.rendered.clear();
    for (const pieces of this.jobPieces) this.replaced.push(...pieces);
    this.jobPieces = [];
    this.generation++;
    this.next = new Map();
  }

  /**
   * The aggregate families from `aggregates` (`stale`: only those kept while stale); ends the
   * render begun by `place` or `dropJobs`, whose pieces are served from now on.
   */
  *renderAggregates(aggregates: unknown, stale: boolean): Generator<void, void> {
    const next = this.next;
    for (const family of this.families) {
      if (family.kind !== "aggregate") continue;
      if (stale && !family.keepWhenStale) continue;
      const lines: string[] = [];
      // Whether the lines may differ from the last render's (rows of counters say so below).
      let changed = true;
      if (family.type === "histogram") {
        for (const sample of family.fromAggregates(aggregates)) {
          lines.push(
            renderHistogram(family.name, this.prefix, family.labelNames, sample.labels, sample.histogram),
          );
        }
      } else {
        // Rows keep their label arrays from render to render (CountTable): a row whose value
        // did not move keeps its line. DataArts' per-job instance counters make this family
        // as long as the job list.
        const previous = this.aggregateLines.get(family.name);
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
                renderSample(family.name, this.prefix, family.labelNames, sample.labels, sample.value),
              ),
            };
          }
          current.set(sample.labels, row);
          lines.push(row.line);
        }
        // The same rows, each with its old line, in the same number: the same text.
        if (previous !== undefined && previous.size !== current.size) changed = true;
        this.aggregateLines.set(family.name, current);
      }
      // The lines go straight into a buffer: joined into one string first, a family as long
      // as the job list (DataArts' instance counters) was a large string every poll, allocated
      // where the collector only frees it in a full collection.
      const previous = this.aggregateText.get(family.name);
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
        this.aggregateText.set(family.name, piece);
        next.set(family.name, [piece]);
      } else {
        this.aggregateText.delete(family.name);
      }
      yield;
    }
    // The swap and the retirement happen together: every exposition prepared before holds the
    // replaced pieces, none prepared after does.
    this.pieces = next;
    this.next = new Map();
    this.pool.retire(this.replaced, this.nextSeq());
    this.replaced = [];
  }
}
