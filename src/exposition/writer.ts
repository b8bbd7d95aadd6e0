// The job part of /metrics: every target's and source's lines (job-lines.ts), published as one
// exposition after each change and written to scrapes as it is. A publication lays the pieces
// out in family order (each family's header once, kube-state-metrics' metrics writer), then has
// each new piece compressed once on the threadpool (segments.ts); a scrape writes bytes only.
// Scrapes hold the exposition they write until their answer is done, so the block pool reuses
// only memory no scrape can be reading: no caller outside this module holds or releases it.

import type { ServerResponse } from "node:http";
import { BlockPool } from "./block-pool.js";
import type { Family, SampleOptions } from "./family.js";
import { SlotLines } from "./job-lines.js";
import { renderHeader } from "./render.js";
import {
  EMPTY_EXPOSITION,
  gzipWithTail,
  type PreparedExposition,
  plainWithTail,
  prepareExposition,
} from "./segments.js";

export class ExpositionWriter {
  /** Lines per target (in the order first seen), then per source (and its pipelines). */
  private readonly slots = new Map<string, Map<string, SlotLines>>();
  private readonly pool = new BlockPool(() => this.largestSlotBlocks());
  /** Compressed segments by piece, kept while the piece is. */
  private readonly segments = new WeakMap<Buffer, Buffer>();
  private readonly headers = new Map<string, Buffer>();
  private published: PreparedExposition = EMPTY_EXPOSITION;
  private changes = 0;
  private publishedChanges = 0;
  private publishing: Promise<void> | undefined;
  private readonly publishWaiters: Array<{ change: number; resolve: () => void }> = [];
  /** Expositions started, in order; each publication takes the next number. */
  private expositionSeq = 0;
  private publishedSeq = -1;
  private preparingSeq: number | undefined;
  /** Scrapes writing an exposition, by its number. */
  private readonly holds = new Map<number, number>();

  constructor(
    /** Every job family, in the order served. */
    private readonly families: ReadonlyArray<Family<unknown, unknown>>,
    private readonly options: SampleOptions,
  ) {}

  /**
   * The lines of a target's source, made on first use; `prefix` is the target's labels. `slot`
   * is the source's name, or another name for rows of its own (the source's pipelines).
   */
  lines(
    target: string,
    slot: string,
    families: ReadonlyArray<Family<unknown, unknown>>,
    prefix: string,
  ): SlotLines {
    let sources = this.slots.get(target);
    if (sources === undefined) {
      sources = new Map();
      this.slots.set(target, sources);
    }
    let lines = sources.get(slot);
    if (lines === undefined) {
      lines = new SlotLines(families, prefix, this.options, this.pool, () => this.expositionSeq);
      sources.set(slot, lines);
    }
    return lines;
  }

  /** A target's lines go (`keepPlace`: it stays where it is in the order, as a new target). */
  dropTarget(target: string, keepPlace: boolean): void {
    if (keepPlace) this.slots.get(target)?.clear();
    else this.slots.delete(target);
  }

  /** Something served changed: publish; resolves once scrapes serve it. */
  changed(): Promise<void> {
    const change = ++this.changes;
    const done = new Promise<void>((resolve) => this.publishWaiters.push({ change, resolve }));
    this.publishing ??= this.publishLoop().finally(() => {
      this.publishing = undefined;
    });
    return done;
  }

  /** What scrapes serve now: the body as of the last publication. */
  current(): PreparedExposition {
    return this.published;
  }

  /**
   * Writes the job part, then `tail` (the exporter's own metrics), gzip-encoded or plain, as
   * one answer: no copy, no compression but the tail's, whatever the body's size.
   */
  write(res: ServerResponse, gzip: boolean, tail: Buffer): void {
    const exposition = this.published;
    const release = this.hold(this.publishedSeq);
    // The pieces stay as they are until the answer is written or abandoned.
    if (res.closed) release();
    else res.once("close", release);
    const parts = gzip ? gzipWithTail(exposition, tail) : plainWithTail(exposition, tail);
    if (gzip) res.setHeader("Content-Encoding", "gzip");
    res.setHeader(
      "Content-Length",
      parts.reduce((sum, part) => sum + part.length, 0),
    );
    // Corked, the parts leave in one writev rather than a write each (a body is dozens of pieces).
    res.cork();
    for (const part of parts) res.write(part);
    res.end();
  }

  /** The body's pieces in order, headers included; no copy of any piece. */
  private layout(): Buffer[] {
    const parts: Buffer[] = [];
    for (const family of this.families) {
      let header: Buffer | undefined;
      for (const sources of this.slots.values()) {
        for (const lines of sources.values()) {
          const pieces = lines.served(family.name);
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
    }
    return parts;
  }

  // Changes that arrive while a publication runs are taken by the next one: at most one runs,
  // and a burst of changes (three sources ending together) costs one or two, not one each.
  private async publishLoop(): Promise<void> {
    while (this.publishedChanges < this.changes) {
      const upTo = this.changes;
      const seq = this.expositionSeq++;
      this.preparingSeq = seq;
      try {
        this.published = await prepareExposition(this.layout(), this.segments);
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

  // A block retired while exposition `before` was the next to be prepared is in no exposition
  // from `before` on. It is free once every earlier one is neither published, nor being
  // prepared, nor held by a scrape still writing it.
  private recycle(): void {
    let oldestLive = this.publishedSeq;
    if (this.preparingSeq !== undefined) oldestLive = Math.min(oldestLive, this.preparingSeq);
    for (const seq of this.holds.keys()) oldestLive = Math.min(oldestLive, seq);
    this.pool.recycle(oldestLive);
  }

  private largestSlotBlocks(): number {
    let largest = 0;
    for (const sources of this.slots.values()) {
      for (const lines of sources.values()) largest = Math.max(largest, lines.blocks());
    }
    return largest;
  }
}
