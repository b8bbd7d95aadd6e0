// The job part of /metrics, prepared once per change so that a scrape only writes bytes: the
// UTF-8 pieces, and the same pieces compressed, each as a raw deflate segment ending on a sync
// flush. Segments compressed apart can follow one another in one deflate stream (each starts
// afresh and refers back only within itself), so a gzip answer is a header, the job segments
// (cached per piece: a poll recompresses only the source that changed), the exporter's own
// metrics as the final segment (compressed once per text, which scrapes share while it does not
// move), and the CRC-32 of it all, combined from the parts'. One gzip member, as every client
// expects. The job part is compressed on libuv's threadpool (zlib async), never on the event loop.

import { promisify } from "node:util";
import { constants, crc32, deflateRaw, deflateRawSync } from "node:zlib";

const deflateRawAsync = promisify(deflateRaw);

/** Level 1: the body is repetitive text, level 1 already shrinks it ~20 times at a fraction of the CPU. */
export const GZIP_LEVEL = 1;

/** What a scrape serves of the job families, all of it from one moment. */
export interface PreparedExposition {
  /** The body in order, UTF-8. */
  readonly parts: readonly Buffer[];
  /** Bytes of all parts. */
  readonly length: number;
  /** `parts[i]` as a raw deflate segment ending on a sync flush (not final). */
  readonly deflated: readonly Buffer[];
  /** CRC-32 of the concatenated parts. */
  readonly crc32: number;
}

export const EMPTY_EXPOSITION: PreparedExposition = { parts: [], length: 0, deflated: [], crc32: 0 };

/** One raw deflate segment that more segments may follow. */
export function deflateSegment(part: Buffer): Promise<Buffer> {
  return deflateRawAsync(part, { level: GZIP_LEVEL, finishFlush: constants.Z_SYNC_FLUSH });
}

// CRC-32 of the whole body from the CRCs of its parts: crc(A·B) = crc(A)·x^(8|B|) + crc(B) over
// GF(2), as zlib's crc32_combine. A part's CRC is computed once, when it is first served, so a
// publication costs a few polynomial products per part instead of a pass over the whole body.
const CRC_POLY = 0xedb88320;

/** a·b modulo the CRC-32 polynomial (reflected bit order). */
function multiplyModPoly(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = (b & 1) !== 0 ? (b >>> 1) ^ CRC_POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..31. */
const X_POW_2K: number[] = (() => {
  const table: number[] = [];
  let p = 0x40000000; // x^1
  table.push(p);
  for (let k = 1; k < 32; k++) {
    p = multiplyModPoly(p, p);
    table.push(p);
  }
  return table;
})();

/** x^(n·2^k) modulo the polynomial. */
function xPowModPoly(n: number, k: number): number {
  let p = 0x80000000; // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multiplyModPoly(X_POW_2K[k & 31] as number, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** The CRC-32 of A followed by B from crc(A), crc(B) and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB === 0) return crcA;
  return (multiplyModPoly(xPowModPoly(lengthB, 3), crcA) ^ crcB) >>> 0;
}

/** CRC-32 of each part served, kept as long as the part is. */
const partCrcs = new WeakMap<Buffer, number>();

function crcOf(part: Buffer): number {
  let crc = partCrcs.get(part);
  if (crc === undefined) {
    crc = part.length > 0 ? crc32(part) : 0;
    partCrcs.set(part, crc);
  }
  return crc;
}

/**
 * Prepares `parts`: segments come from `cache` where a part was compressed before (parts are
 * immutable buffers, kept as long as they are served), else from the threadpool.
 */
export async function prepareExposition(
  parts: readonly Buffer[],
  cache: WeakMap<Buffer, Buffer>,
): Promise<PreparedExposition> {
  // One piece at a time: one threadpool thread compresses while the event loop keeps a core
  // (on a two-core machine, four compressing threads would starve it).
  const deflated: Buffer[] = [];
  let crc = 0;
  let length = 0;
  for (const part of parts) {
    let segment = cache.get(part);
    if (segment === undefined) {
      segment = await deflateSegment(part);
      cache.set(part, segment);
    }
    deflated.push(segment);
    crc = crc32Combine(crc, crcOf(part), part.length);
    length += part.length;
  }
  return { parts, length, deflated, crc32: crc };
}

const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);

/** Each tail's final segment, kept as long as the tail is (the same tail serves many scrapes). */
const finalSegments = new WeakMap<Buffer, Buffer>();

/**
 * The gzip answer of the prepared parts followed by `tail` (the exporter's own metrics): a list
 * of buffers to write in order. Costs the compression of `tail` only, once per tail.
 */
export function gzipWithTail(prepared: PreparedExposition, tail: Buffer): Buffer[] {
  let last = finalSegments.get(tail);
  if (last === undefined) {
    last = deflateRawSync(tail, { level: GZIP_LEVEL });
    finalSegments.set(tail, last);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32Combine(prepared.crc32, crcOf(tail), tail.length), 0);
  trailer.writeUInt32LE((prepared.length + tail.length) % 2 ** 32, 4);
  return [GZIP_HEADER, ...prepared.deflated, last, trailer];
}

/** The plain answer: the prepared parts, then `tail`. */
export function plainWithTail(prepared: PreparedExposition, tail: Buffer): Buffer[] {
  return [...prepared.parts, tail];
}
