// The one page loop every source uses. The decisions (is this the last page, does this page
// make sense, is the listing complete) are pure functions so they can be table-tested; the loop
// only sequences requests around them. A listing either returns every record or throws an
// ApiError: a partial listing must never pass for a complete one.

import { setMaxListeners } from "node:events";
import { ApiError } from "../huaweicloud/errors.js";

/** One page as the loop sees it. */
export interface Page<T> {
  /** Records that passed the schema and carry an identity. */
  items: T[];
  /** Records the API sent on this page, malformed ones included: a page is "short" by this count. */
  received: number;
  /** The API's total for the whole listing, where it sent one. */
  total: number | undefined;
}

export interface PageLoopOptions<T> {
  /** Fetches page `index` (0-based); the caller maps it to a record offset or a page number. */
  fetchPage(index: number, signal: AbortSignal): Promise<Page<T>>;
  /** Identity of a record; duplicates keep the record `prefer` picks (default: the first seen). */
  idOf(item: T): string;
  prefer?: (kept: T, candidate: T) => T;
  pageSize: number;
  /** Bounds the requests in flight; share one limiter across the listings of a poll. */
  limiter: Limiter;
  /** What is being listed, for error messages ("DLI Spark batches (state=running)"). */
  what: string;
  maxPages?: number;
  /** Pages beyond what `total` allows, for records created while the listing runs. */
  pageSlack?: number;
  /** Pages already fetched (index to page), reused instead of fetched again. */
  prefetched?: ReadonlyMap<number, Page<T>>;
}

export interface Listing<T> {
  items: T[];
  /** List calls made by this loop (prefetched pages excluded). */
  pages: number;
  /** Records skipped as malformed (without identity), summed over pages. */
  skipped: number;
}

/** 1000 pages of 100 is 100k jobs per listing: past that the loop is surely broken. */
export const DEFAULT_MAX_PAGES = 1000;
export const DEFAULT_PAGE_SLACK = 2;

// ---------------------------------------------------------------------------------------------
// Pure decisions
// ---------------------------------------------------------------------------------------------

/**
 * The listing ends at an empty page, a short page, or once the pages have carried as many
 * records as `total` (counted as the API counts them: duplicates and malformed ones included).
 */
export function isLastPage(args: {
  received: number;
  pageSize: number;
  collected: number;
  total: number | undefined;
}): boolean {
  if (args.received === 0) return true;
  if (args.received < args.pageSize) return true;
  return args.total !== undefined && args.collected >= args.total;
}

/** Pages needed to hold `total` records; at least one (the first page is always fetched). */
export function plannedPageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}

/** How many pages the loop may fetch before it refuses to go on. */
export function allowedPageCount(args: {
  maxTotal: number | undefined;
  pageSize: number;
  maxPages: number;
  pageSlack: number;
}): number {
  if (args.maxTotal === undefined) return args.maxPages;
  return Math.min(args.maxPages, plannedPageCount(args.maxTotal, args.pageSize) + args.pageSlack);
}

/**
 * A total that moves by more than a page and by more than half between two pages of one listing
 * is not the same listing any more (jobs are not created that fast within one poll).
 */
export function totalChangedWildly(first: number, latest: number, pageSize: number): boolean {
  const change = Math.abs(latest - first);
  return change > pageSize && change > first / 2;
}

/** How many of `ids` `previous` already held. */
export function sharedCount(previous: readonly string[], ids: readonly string[]): number {
  const before = new Set(previous);
  let shared = 0;
  for (const id of ids) if (before.has(id)) shared++;
  return shared;
}

/** Identity of a page's content: the same ids in the same order. */
export function pageSignature(ids: readonly string[]): string {
  return ids.join("\u0000");
}

/**
 * Does page `index` fit the pages before it? Returns why not, or undefined.
 * - the same non-empty page as an earlier index: the server ignores the offset or loops;
 * - more than half a page of records repeated from the previous page: the offset is read with
 *   another meaning (a page number read as a record offset moves one record per page). Jobs
 *   created or deleted between two calls shift a page by a few records, not by half of it;
 * - the total moved wildly (see totalChangedWildly).
 */
export function pageMisfit(args: {
  index: number;
  ids: readonly string[];
  total: number | undefined;
  firstTotal: number | undefined;
  previousIds: readonly string[] | undefined;
  seenSignatures: ReadonlyMap<string, number>;
  pageSize: number;
}): string | undefined {
  if (args.ids.length > 0) {
    const earlier = args.seenSignatures.get(pageSignature(args.ids));
    if (earlier !== undefined && earlier !== args.index) {
      return `page ${args.index} repeats page ${earlier} (the same ${args.ids.length} records)`;
    }
  }
  if (
    args.previousIds !== undefined &&
    sharedCount(args.previousIds, args.ids) > Math.max(1, args.pageSize / 2)
  ) {
    return `page ${args.index} mostly repeats page ${args.index - 1}: the offset does not move by a page`;
  }
  if (
    args.total !== undefined &&
    args.firstTotal !== undefined &&
    totalChangedWildly(args.firstTotal, args.total, args.pageSize)
  ) {
    return `the total changed from ${args.firstTotal} to ${args.total} within one listing`;
  }
  return undefined;
}

/**
 * A listing whose pages carried fewer records than the API's own total is incomplete. The
 * smallest total seen is used, so jobs deleted while the listing ran do not fail it. Records are
 * counted as received (a job the API lists twice is still two of its `total`); pages repeated
 * by a looping server never get here, pageMisfit refuses them first.
 */
export function shortfall(args: { held: number; minTotal: number | undefined }): string | undefined {
  if (args.minTotal === undefined || args.held >= args.minTotal) return undefined;
  return `the API reported ${args.minTotal} records but its pages held ${args.held}`;
}

/**
 * A listing that stopped on a full page because the total was reached, while its pages carried
 * more records than that total: the total undercounts, so there may be pages after it. (Where the
 * last page is short the listing is whole whatever the total says; jobs created while the
 * listing runs raise the total on later pages, so they never get here.)
 */
export function overshoot(args: {
  held: number;
  maxTotal: number | undefined;
  lastPageFull: boolean;
}): string | undefined {
  if (!args.lastPageFull || args.maxTotal === undefined || args.held <= args.maxTotal) return undefined;
  return `the API reported a total of ${args.maxTotal} records but its pages held ${args.held}, the last one full`;
}

// ---------------------------------------------------------------------------------------------
// Bounded concurrency
// ---------------------------------------------------------------------------------------------

/** A counting semaphore; one per poll bounds every request of that poll. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<{
    grant: () => void;
    reject: (reason: unknown) => void;
    signal?: AbortSignal;
  }> = [];
  // One abort listener per signal, not per waiting task: a listing queues a hundred pages on one
  // signal, and listeners added one by one cost time in proportion to those already there.
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be >= 1, got ${limit}`);
  }

  async run<R>(task: () => Promise<R>, signal?: AbortSignal): Promise<R> {
    await this.acquire(signal);
    try {
      signal?.throwIfAborted();
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        this.active++;
        resolve();
      };
      this.waiting.push(signal ? { grant, reject, signal } : { grant, reject });
      if (signal && !this.watched.has(signal)) {
        this.watched.add(signal);
        signal.addEventListener("abort", () => this.dropWaiting(signal), { once: true });
      }
    });
  }

  private dropWaiting(signal: AbortSignal): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const waiter = this.waiting[i];
      if (waiter?.signal !== signal) continue;
      this.waiting.splice(i, 1);
      waiter.reject(signal.reason);
    }
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.grant();
  }
}

/**
 * Runs every task; on the first failure aborts the others (through the signal they get) and
 * throws that failure once all have settled, so no request outlives the poll that made it.
 */
export async function allOrAbort<R>(
  tasks: ReadonlyArray<(signal: AbortSignal) => Promise<R>>,
  signal: AbortSignal,
): Promise<R[]> {
  const controller = new AbortController();
  // Every task's requests listen on this signal; a listing has hundreds, all legitimate.
  setMaxListeners(tasks.length + 16, controller.signal);
  const forward = () => controller.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener("abort", forward, { once: true });
  let failed = false;
  let failure: unknown;
  try {
    const settled = await Promise.all(
      tasks.map((task) =>
        task(controller.signal).catch((err: unknown) => {
          if (!failed) {
            failed = true;
            failure = err;
            controller.abort(err);
          }
          return undefined;
        }),
      ),
    );
    if (failed) throw failure;
    return settled as R[];
  } finally {
    signal.removeEventListener("abort", forward);
  }
}

// ---------------------------------------------------------------------------------------------
// The loop
// ---------------------------------------------------------------------------------------------

class ListingTracker<T> {
  private readonly byId = new Map<string, T>();
  private readonly signatures = new Map<string, number>();
  private readonly idsByIndex = new Map<number, string[]>();
  skipped = 0;
  /** Records the pages carried, as the API counts them. */
  received = 0;
  firstTotal: number | undefined;
  minTotal: number | undefined;
  maxTotal: number | undefined;
  /** The page the listing ended on was full (the loop stopped because the total was reached). */
  lastPageFull = false;

  constructor(private readonly options: PageLoopOptions<T>) {}

  /** Adds page `index`; throws ApiError(pagination) where it does not fit. */
  add(index: number, page: Page<T>): void {
    const { idOf, prefer, pageSize, what } = this.options;
    const ids = page.items.map(idOf);
    const misfit = pageMisfit({
      index,
      ids,
      total: page.total,
      firstTotal: this.firstTotal,
      previousIds: this.idsByIndex.get(index - 1),
      seenSignatures: this.signatures,
      pageSize,
    });
    if (misfit !== undefined) throw paginationError(what, misfit);
    if (ids.length > 0) this.signatures.set(pageSignature(ids), index);
    this.idsByIndex.set(index, ids);
    if (page.total !== undefined) {
      this.firstTotal ??= page.total;
      this.minTotal = Math.min(this.minTotal ?? page.total, page.total);
      this.maxTotal = Math.max(this.maxTotal ?? page.total, page.total);
    }
    this.skipped += page.received - page.items.length;
    this.received += page.received;
    page.items.forEach((item, i) => {
      const id = ids[i] as string;
      const kept = this.byId.get(id);
      this.byId.set(id, kept === undefined || prefer === undefined ? (kept ?? item) : prefer(kept, item));
    });
  }

  ended(page: Page<T>): boolean {
    this.lastPageFull = page.received >= this.options.pageSize;
    return isLastPage({
      received: page.received,
      pageSize: this.options.pageSize,
      collected: this.received,
      total: page.total ?? this.maxTotal,
    });
  }

  finish(pages: number): Listing<T> {
    const missing =
      shortfall({ held: this.received, minTotal: this.minTotal }) ??
      overshoot({ held: this.received, maxTotal: this.maxTotal, lastPageFull: this.lastPageFull });
    if (missing !== undefined) throw paginationError(this.options.what, missing);
    return { items: [...this.byId.values()], pages, skipped: this.skipped };
  }
}

export function paginationError(what: string, why: string): ApiError {
  return new ApiError("pagination", `${what}: ${why}; the poll is refused rather than served incomplete`);
}

/**
 * Fetches every page of one listing. Page 0 comes first; where it names a total, the remaining
 * pages it implies are fetched concurrently (bounded by the limiter, and no page past the first
 * short one is started); then, while the last page was full and the total is not reached (records
 * created meanwhile), pages follow one by one up to the total plus a small slack.
 */
export async function fetchAllPages<T>(
  options: PageLoopOptions<T>,
  signal: AbortSignal,
): Promise<Listing<T>> {
  const { pageSize, limiter, what } = options;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const pageSlack = options.pageSlack ?? DEFAULT_PAGE_SLACK;
  const tracker = new ListingTracker(options);
  let calls = 0;

  // `skip` is asked once a slot is free, so pages queued behind a short page are never sent.
  const fetchOne = async (
    index: number,
    pageSignal: AbortSignal,
    skip: () => boolean = () => false,
  ): Promise<Page<T> | undefined> => {
    const ready = options.prefetched?.get(index);
    if (ready !== undefined) return ready;
    return limiter.run(async () => {
      if (skip()) return undefined;
      calls++;
      return options.fetchPage(index, pageSignal);
    }, pageSignal);
  };

  const first = (await fetchOne(0, signal)) as Page<T>;
  tracker.add(0, first);
  if (tracker.ended(first)) return tracker.finish(calls);

  let next = 1;
  let last = first;
  if (first.total !== undefined) {
    const planned = plannedPageCount(first.total, pageSize);
    if (planned > maxPages) {
      throw paginationError(
        what,
        `the total ${first.total} needs ${planned} pages, more than the cap of ${maxPages}`,
      );
    }
    if (planned > 1) {
      const results = new Map<number, Page<T>>();
      let stopAfter = Number.POSITIVE_INFINITY;
      const indices = Array.from({ length: planned - 1 }, (_, i) => i + 1);
      await allOrAbort(
        indices.map((index) => async (pageSignal: AbortSignal) => {
          const page = await fetchOne(index, pageSignal, () => index > stopAfter);
          if (page === undefined) return;
          results.set(index, page);
          // A short page ends a stable listing: pages after it need not be asked for.
          if (page.received < pageSize) stopAfter = Math.min(stopAfter, index);
        }),
        signal,
      );
      const fetched = [...results.keys()].sort((a, b) => a - b);
      for (const index of fetched) tracker.add(index, results.get(index) as Page<T>);
      const lastIndex = fetched[fetched.length - 1] ?? 0;
      last = results.get(lastIndex) ?? first;
      next = lastIndex + 1;
      // ended() first: it also notes whether the listing stopped on a full page.
      if (tracker.ended(last) || stopAfter !== Number.POSITIVE_INFINITY) return tracker.finish(calls);
    }
  }

  for (;;) {
    const allowed = allowedPageCount({ maxTotal: tracker.maxTotal, pageSize, maxPages, pageSlack });
    if (next >= allowed) {
      const why =
        tracker.maxTotal === undefined
          ? `still full pages after ${next} pages (the cap)`
          : `still full pages after ${next} pages, more than a total of ${tracker.maxTotal} allows`;
      throw paginationError(what, why);
    }
    last = (await fetchOne(next, signal)) as Page<T>;
    tracker.add(next, last);
    if (tracker.ended(last)) return tracker.finish(calls);
    next++;
  }
}
