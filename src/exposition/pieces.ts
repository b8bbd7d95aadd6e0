// A job family's text as pieces of about PIECE_BYTES, built by copying each job's lines, in runs,
// from where they are (the previous pieces, or the render's arena). A piece that would equal a
// previous one byte for byte is that previous buffer, and keeps its compressed segment.

import { BLOCK_BYTES } from "./block-pool.js";
import { AT_FIELDS, type RenderedJob } from "./rendered-job.js";

/**
 * Job families are cut into pieces of about this many bytes (bounded copies and compressions):
 * a piece ends at the first job past it, so it fits its block unless that job's lines are
 * longer than the margin.
 */
const PIECE_BYTES = BLOCK_BYTES - 24 * 1024;

/**
 * The pieces of one job family from `jobs` in order: each job's lines are copied, in runs, from
 * the previous pieces or the render's arena; a new piece that would equal a previous one byte
 * for byte (one run covering it whole) is that previous buffer.
 */
export function* buildPieces(
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
