// The memory of rendered text: blocks of BLOCK_BYTES, reused from poll to poll. Allocating
// (and the kernel zeroing) hundreds of MB a poll cost more than copying into reused blocks, and
// drove collections by external memory. A block a render replaced returns to the pool only once
// no exposition that may hold it is published, being prepared or written by a scrape; the
// writer (writer.ts) tells the pool which exposition is the oldest still alive.

/** Pieces live in blocks of this size (larger pieces are allocated apart and not pooled). */
export const BLOCK_BYTES = 512 * 1024;

export class BlockPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly retired: Array<{ before: number; blocks: ArrayBuffer[] }> = [];
  /** Blocks the last render's text arena used: kept free beside those for pieces. */
  private arenaBlocks = 0;

  /**
   * `pieceBlocks`: blocks the largest slot's pieces take. Renders of one slot at a time reuse
   * what the previous one retired, so that many blocks plus the last arena's are enough; more
   * would be memory idle between polls.
   */
  constructor(private readonly pieceBlocks: () => number) {}

  /** A whole block, free or new. */
  take(): ArrayBuffer {
    return this.free.pop() ?? new ArrayBuffer(BLOCK_BYTES);
  }

  /** A piece of `bytes`, in a pooled block where it fits one. */
  allocate(bytes: number): Buffer {
    if (bytes <= BLOCK_BYTES) return Buffer.from(this.take(), 0, bytes);
    return Buffer.allocUnsafeSlow(bytes);
  }

  /**
   * Pieces a render replaced while exposition `nextSeq` was the next to be prepared: they are in
   * no exposition from `nextSeq` on, and return to the pool once every earlier one is gone.
   */
  retire(pieces: readonly Buffer[], nextSeq: number): void {
    const blocks = pooledBlocks(pieces);
    if (blocks.length > 0) this.retired.push({ before: nextSeq, blocks });
  }

  /** A render's arena ended: its blocks are free now (nothing serves arena memory). */
  arenaDone(blocks: readonly ArrayBuffer[]): void {
    // The last render's need, not the largest ever: a first render fills an arena with a whole
    // slot's text, later ones only with what changed.
    this.arenaBlocks = blocks.length;
    this.release(blocks);
  }

  /** Retired blocks of expositions older than `oldestLive` go back to the pool. */
  recycle(oldestLive: number): void {
    if (this.retired.length === 0) return;
    let kept = 0;
    for (const batch of this.retired) {
      if (batch.before <= oldestLive) this.release(batch.blocks);
      else this.retired[kept++] = batch;
    }
    this.retired.length = kept;
  }

  private release(blocks: readonly ArrayBuffer[]): void {
    const cap = this.pieceBlocks() + this.arenaBlocks;
    for (const block of blocks) if (this.free.length < cap) this.free.push(block);
  }
}

/** The pool's blocks among `buffers` (each a whole block viewed from its start). */
export function pooledBlocks(buffers: readonly Buffer[]): ArrayBuffer[] {
  const blocks: ArrayBuffer[] = [];
  for (const buffer of buffers) {
    if (buffer.byteOffset === 0 && buffer.buffer.byteLength === BLOCK_BYTES)
      blocks.push(buffer.buffer as ArrayBuffer);
  }
  return blocks;
}
