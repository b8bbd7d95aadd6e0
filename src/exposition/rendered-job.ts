// One job's lines as the job lines keep them (job-lines.ts): where each family's text is (in the
// slot's pieces, or freshly written into the render's arena), how many series it is, and how a
// job is rendered whole or, when it changed, only in the families that read a changed field.

import { BLOCK_BYTES, pooledBlocks } from "./block-pool.js";
import type { Family, SampleOptions } from "./family.js";
import { renderSample } from "./render.js";

/** Whether two normalised jobs have the same fields (all primitives), so the same lines. */
export function sameJob(a: unknown, b: unknown): boolean {
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
export class RenderedJob {
  // A plain array of small integers: a typed array per job would be three objects and an
  // external backing store per job for the collector to trace and sweep.
  /**
   * Per job family: `[source, start, end, series]`. `source` is a piece of the slot's pieces of
   * `generation` (0 and up), a buffer of the render's arena (-2 and down: buffer -2 - source)
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
export const READY = 0;
/** Unchanged, its lines in the slot's pieces. */
export const COPY = 1;
/** Changed, its lines in the slot's pieces: the families reading a changed field render. */
export const CHANGED = 2;
/** Unchanged but its lines nowhere (left out by the series guard last time): renders whole. */
export const WHOLE = 3;
/** Changed and its lines nowhere: renders whole; its series are last time's until counted. */
export const WHOLE_CHANGED = 4;

/** The series a job has in the job families, counted without rendering them. */
export function countSeries(
  job: unknown,
  jobFamilies: ReadonlyArray<Family<unknown, unknown>>,
  options: SampleOptions,
): number {
  let series = 0;
  for (const family of jobFamilies) if (family.kind === "job") series += family.fromJob(job, options).length;
  return series;
}

/** Numbers kept per job family in `RenderedJob.at`. */
export const AT_FIELDS = 4;

/** Text of one render, encoded as it is rendered, in pool blocks given back when the render ends. */
export class TextArena {
  readonly buffers: Buffer[] = [];
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
      this.buffers.push(this.current);
      this.used = 0;
    }
    at[index] = -2 - (this.buffers.length - 1);
    at[index + 1] = this.used;
    this.used += this.current.write(text, this.used, "utf8");
    at[index + 2] = this.used;
  }

  /** Ends the arena; returns its pool blocks. */
  release(): ArrayBuffer[] {
    const blocks = pooledBlocks(this.buffers);
    this.buffers.length = 0;
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

export function renderJob(
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
export function rerenderJob(
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
