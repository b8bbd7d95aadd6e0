import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/huaweicloud/errors.js";
import {
  allOrAbort,
  allowedPageCount,
  fetchAllPages,
  isLastPage,
  Limiter,
  type Page,
  pageMisfit,
  pageSignature,
  plannedPageCount,
  sharedCount,
  shortfall,
  totalChangedWildly,
} from "../../src/jobs/paging.js";

describe("isLastPage", () => {
  it.each([
    { received: 0, pageSize: 10, collected: 0, total: undefined, last: true, why: "empty page" },
    { received: 0, pageSize: 10, collected: 30, total: 50, last: true, why: "empty page despite total" },
    { received: 7, pageSize: 10, collected: 27, total: undefined, last: true, why: "short page" },
    { received: 10, pageSize: 10, collected: 10, total: undefined, last: false, why: "full page, no total" },
    { received: 10, pageSize: 10, collected: 20, total: 50, last: false, why: "full page below total" },
    { received: 10, pageSize: 10, collected: 30, total: 30, last: true, why: "count reaches total" },
    { received: 10, pageSize: 10, collected: 40, total: 30, last: true, why: "count beyond total" },
    { received: 1, pageSize: 1, collected: 1, total: 5, last: false, why: "page size 1" },
  ])("$why → $last", ({ received, pageSize, collected, total, last }) => {
    expect(isLastPage({ received, pageSize, collected, total })).toBe(last);
  });
});

describe("plannedPageCount and allowedPageCount", () => {
  it.each([
    [0, 10, 1],
    [1, 10, 1],
    [10, 10, 1],
    [11, 10, 2],
    [250, 100, 3],
  ])("total %i at page size %i → %i pages", (total, pageSize, pages) => {
    expect(plannedPageCount(total, pageSize)).toBe(pages);
  });

  it.each([
    { maxTotal: undefined, pageSize: 10, maxPages: 1000, pageSlack: 2, allowed: 1000 },
    { maxTotal: 25, pageSize: 10, maxPages: 1000, pageSlack: 2, allowed: 5 },
    { maxTotal: 0, pageSize: 10, maxPages: 1000, pageSlack: 2, allowed: 3 },
    { maxTotal: 1_000_000, pageSize: 10, maxPages: 1000, pageSlack: 2, allowed: 1000 },
  ])("total $maxTotal, slack $pageSlack, cap $maxPages → $allowed", (args) => {
    expect(allowedPageCount(args)).toBe(args.allowed);
  });
});

describe("totalChangedWildly", () => {
  it.each([
    [100, 100, 10, false],
    [100, 105, 10, false],
    [100, 160, 10, true],
    [100, 40, 10, true],
    [10, 30, 100, false], // within a page: a burst of new jobs in a small listing
    [1000, 1150, 100, false], // more than a page but a small share
    [0, 3, 10, false],
  ])("%i → %i at page size %i: %s", (first, latest, pageSize, wild) => {
    expect(totalChangedWildly(first, latest, pageSize)).toBe(wild);
  });
});

describe("sharedCount", () => {
  it.each([
    [[], ["a"], 0],
    [["a", "b"], [], 0],
    [["a", "b"], ["c", "d"], 0],
    [["a", "b", "c", "d"], ["d", "e", "f", "g"], 1],
    [["a", "b", "c", "d"], ["b", "c", "d", "e"], 3],
  ])("%j then %j → %d", (previous, ids, shared) => {
    expect(sharedCount(previous, ids)).toBe(shared);
  });
});

describe("pageMisfit", () => {
  const base = {
    index: 2,
    ids: ["e", "f"],
    total: 10,
    firstTotal: 10,
    previousIds: ["c", "d"],
    seenSignatures: new Map([
      [pageSignature(["a", "b"]), 0],
      [pageSignature(["c", "d"]), 1],
    ]),
    pageSize: 2,
  };
  it.each([
    { name: "a fresh page fits", change: {}, match: undefined },
    { name: "an empty page fits", change: { ids: [] }, match: undefined },
    { name: "the same page as page 0", change: { ids: ["a", "b"] }, match: /page 2 repeats page 0/ },
    {
      name: "re-adding a page at its own index",
      change: { index: 0, ids: ["a", "b"], previousIds: undefined },
      match: undefined,
    },
    {
      name: "mostly the previous page",
      change: { ids: ["b", "c", "d", "e"], previousIds: ["a", "b", "c", "d"], pageSize: 4 },
      match: /mostly repeats page 1/,
    },
    {
      name: "a short last page of records shifted in",
      change: { ids: ["d"], previousIds: ["a", "b", "c", "d"], pageSize: 4 },
      match: undefined,
    },
    { name: "one record shifted in", change: { ids: ["d", "e"] }, match: undefined },
    { name: "total jumped", change: { total: 40, pageSize: 2 }, match: /total changed from 10 to 40/ },
    { name: "no total on this page", change: { total: undefined }, match: undefined },
  ])("$name", ({ change, match }) => {
    const why = pageMisfit({ ...base, ...change });
    if (match === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(match);
  });
});

describe("shortfall", () => {
  it.each([
    { held: 10, minTotal: undefined, short: false },
    { held: 10, minTotal: 10, short: false },
    { held: 12, minTotal: 10, short: false },
    { held: 9, minTotal: 10, short: true },
  ])("held $held of $minTotal → short: $short", ({ held, minTotal, short }) => {
    expect(shortfall({ held, minTotal }) !== undefined).toBe(short);
  });
});

// ---------------------------------------------------------------------------------------------
// The loop, against an in-memory listing (a fake of the remote API's paging, not of our code)
// ---------------------------------------------------------------------------------------------

interface Rec {
  id: string;
}

/** A list of `count` records, paged by record offset; knobs make it misbehave like real servers do. */
class FakeListing {
  records: Rec[];
  calls: number[] = [];
  inFlight = 0;
  maxInFlight = 0;
  reportTotal: (actual: number) => number | undefined = (n) => n;
  /** Record offset actually used for a requested page index. */
  offsetOf: (index: number, pageSize: number) => number = (i, s) => i * s;
  failAt: number | undefined;
  /** Called after each answered page, to mutate the list between pages. */
  afterPage: (index: number) => void = () => {};

  constructor(count: number) {
    this.records = Array.from({ length: count }, (_, i) => ({ id: `r${i}` }));
  }

  async fetch(index: number, pageSize: number, signal: AbortSignal): Promise<Page<Rec>> {
    this.calls.push(index);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      signal.throwIfAborted();
      if (index === this.failAt) throw new ApiError("server", `page ${index} failed`, { status: 500 });
      const from = this.offsetOf(index, pageSize);
      const items = this.records.slice(from, from + pageSize);
      const page = { items, received: items.length, total: this.reportTotal(this.records.length) };
      this.afterPage(index);
      return page;
    } finally {
      this.inFlight--;
    }
  }
}

function listAll(fake: FakeListing, pageSize: number, concurrency = 4, extra: { maxPages?: number } = {}) {
  return fetchAllPages<Rec>(
    {
      what: "test listing",
      pageSize,
      limiter: new Limiter(concurrency),
      idOf: (r) => r.id,
      fetchPage: (index, signal) => fake.fetch(index, pageSize, signal),
      ...extra,
    },
    new AbortController().signal,
  );
}

async function paginationFailure(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).reason).toBe("pagination");
  return err as ApiError;
}

describe("fetchAllPages", () => {
  it.each([
    { count: 0, pageSize: 10, calls: 1 },
    { count: 7, pageSize: 10, calls: 1 },
    { count: 10, pageSize: 10, calls: 1 }, // total reached on page 0: no empty page asked for
    { count: 30, pageSize: 10, calls: 3 },
    { count: 31, pageSize: 10, calls: 4 },
  ])(
    "$count records at page size $pageSize: every record in $calls calls",
    async ({ count, pageSize, calls }) => {
      const fake = new FakeListing(count);
      const listing = await listAll(fake, pageSize);
      expect(listing.items.map((r) => r.id).sort()).toEqual(fake.records.map((r) => r.id).sort());
      expect(fake.calls).toHaveLength(calls);
      expect(listing.pages).toBe(calls);
    },
  );

  it("without a total, pages one by one until a short page", async () => {
    const fake = new FakeListing(25);
    fake.reportTotal = () => undefined;
    const listing = await listAll(fake, 10);
    expect(listing.items).toHaveLength(25);
    expect(fake.calls).toEqual([0, 1, 2]);
    expect(fake.maxInFlight).toBe(1);
  });

  it("without a total, an exact multiple ends on an empty page", async () => {
    const fake = new FakeListing(20);
    fake.reportTotal = () => undefined;
    expect((await listAll(fake, 10)).items).toHaveLength(20);
    expect(fake.calls).toEqual([0, 1, 2]);
  });

  it("fetches the pages the total implies concurrently, never more than the limit in flight", async () => {
    const fake = new FakeListing(200);
    const listing = await listAll(fake, 10, 3);
    expect(listing.items).toHaveLength(200);
    expect(fake.calls).toHaveLength(20);
    expect(fake.maxInFlight).toBe(3);
  });

  it("follows records created while the listing runs (append at the end)", async () => {
    const fake = new FakeListing(30);
    fake.afterPage = (index) => {
      if (index === 0) for (let i = 0; i < 5; i++) fake.records.push({ id: `new${i}` });
    };
    const listing = await listAll(fake, 10, 1);
    expect(listing.items).toHaveLength(35);
    expect(fake.calls).toEqual([0, 1, 2, 3]);
  });

  it("keeps one record per id where a shift repeats one across pages", async () => {
    const fake = new FakeListing(30);
    fake.afterPage = (index) => {
      if (index === 0) fake.records.unshift({ id: "newest" }); // desc order: everything shifts by one
    };
    const listing = await listAll(fake, 10, 1);
    const ids = listing.items.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain("r29");
  });

  it("refuses a server that answers the same page twice", async () => {
    const fake = new FakeListing(30);
    fake.offsetOf = (index, size) => (index === 2 ? 0 : index * size);
    const err = await paginationFailure(listAll(fake, 10));
    expect(err.message).toMatch(/page 2 repeats page 0/);
  });

  it("refuses a server that ignores the offset, with or without a total", async () => {
    for (const total of [true, false]) {
      const fake = new FakeListing(30);
      fake.offsetOf = () => 0;
      if (!total) fake.reportTotal = () => undefined;
      await paginationFailure(listAll(fake, 10));
      expect(fake.calls.length).toBeLessThanOrEqual(3);
    }
  });

  it("refuses a total that lies high with empty pages, without asking for every page it implies", async () => {
    const fake = new FakeListing(25);
    fake.reportTotal = () => 1000;
    const err = await paginationFailure(listAll(fake, 10, 2));
    expect(err.message).toMatch(/reported 1000 records but its pages held 25/);
    expect(fake.calls.length).toBeLessThan(10);
  });

  it("refuses a total that needs more pages than the cap, before fetching them", async () => {
    const fake = new FakeListing(10);
    fake.reportTotal = () => 1_000_000;
    const err = await paginationFailure(listAll(fake, 10, 4, { maxPages: 50 }));
    expect(err.message).toMatch(/more than the cap of 50/);
    expect(fake.calls).toEqual([0]);
  });

  it("stops a server that never ends (no total) at the page cap", async () => {
    const fake = new FakeListing(0);
    fake.reportTotal = () => undefined;
    let next = 0;
    const size = 5;
    const endless = (): Promise<Page<Rec>> => {
      fake.calls.push(next);
      const items = Array.from({ length: size }, () => ({ id: `e${next++}` }));
      return Promise.resolve({ items, received: size, total: undefined });
    };
    const err = await paginationFailure(
      fetchAllPages<Rec>(
        {
          what: "endless",
          pageSize: 5,
          limiter: new Limiter(2),
          idOf: (r) => r.id,
          fetchPage: endless,
          maxPages: 20,
        },
        new AbortController().signal,
      ),
    );
    expect(err.message).toMatch(/after 20 pages/);
    expect(fake.calls).toHaveLength(20);
  });

  it("refuses a total that runs away within one listing", async () => {
    const fake = new FakeListing(20);
    fake.afterPage = () => {
      for (let i = 0; i < 10; i++) fake.records.push({ id: `more${fake.records.length}` });
    };
    const err = await paginationFailure(listAll(fake, 10, 1));
    expect(err.message).toMatch(/total changed from 20 to 40/);
  });

  it("does not take a page with malformed records for a short page", async () => {
    const pages: Page<Rec>[] = [
      { items: [{ id: "a" }], received: 2, total: 3 }, // one of two records was malformed
      { items: [{ id: "c" }], received: 1, total: 3 },
    ];
    const calls: number[] = [];
    const listing = await fetchAllPages<Rec>(
      {
        what: "skips",
        pageSize: 2,
        limiter: new Limiter(1),
        idOf: (r) => r.id,
        fetchPage: (index) => {
          calls.push(index);
          return Promise.resolve(pages[index] ?? { items: [], received: 0, total: 3 });
        },
      },
      new AbortController().signal,
    );
    expect(calls).toEqual([0, 1]);
    expect(listing.items.map((r) => r.id)).toEqual(["a", "c"]);
    expect(listing.skipped).toBe(1);
  });

  it("keeps the record `prefer` picks among duplicates", async () => {
    interface Versioned extends Rec {
      v: number;
    }
    const pages: Page<Versioned>[] = [
      {
        items: [
          { id: "a", v: 1 },
          { id: "b", v: 1 },
        ],
        received: 2,
        total: undefined,
      },
      { items: [{ id: "a", v: 2 }], received: 1, total: undefined },
    ];
    const listing = await fetchAllPages<Versioned>(
      {
        what: "prefer",
        pageSize: 2,
        limiter: new Limiter(1),
        idOf: (r) => r.id,
        prefer: (kept, candidate) => (candidate.v > kept.v ? candidate : kept),
        fetchPage: (index) => Promise.resolve(pages[index] as Page<Versioned>),
      },
      new AbortController().signal,
    );
    expect(listing.items).toEqual([
      { id: "a", v: 2 },
      { id: "b", v: 1 },
    ]);
  });

  it("on the first failed page aborts the others and throws that failure", async () => {
    const fake = new FakeListing(100);
    fake.failAt = 2;
    const err = await listAll(fake, 10, 2).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).reason).toBe("server");
    expect((err as ApiError).message).toBe("page 2 failed");
    expect(fake.calls.length).toBeLessThan(10);
    expect(fake.inFlight).toBe(0);
  });
});

describe("Limiter and allOrAbort", () => {
  it("rejects a queued task when its signal aborts, and frees its place", async () => {
    const limiter = new Limiter(1);
    let release: () => void = () => {};
    const holder = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    const queued = limiter.run(() => Promise.resolve("ran"), controller.signal);
    controller.abort(new Error("stop"));
    await expect(queued).rejects.toThrow("stop");
    release();
    await holder;
    await expect(limiter.run(() => Promise.resolve("next"))).resolves.toBe("next");
  });

  it("refuses a limit below one", () => {
    expect(() => new Limiter(0)).toThrow(RangeError);
  });

  it("allOrAbort returns every result in order, or the first failure after all settled", async () => {
    const signal = new AbortController().signal;
    await expect(allOrAbort([async () => 1, async () => 2], signal)).resolves.toEqual([1, 2]);
    const seen: string[] = [];
    const failing = allOrAbort(
      [
        async () => {
          throw new Error("first");
        },
        (s: AbortSignal) =>
          new Promise((_, reject) => {
            s.addEventListener("abort", () => {
              seen.push("aborted");
              reject(new Error("second"));
            });
          }),
      ],
      signal,
    );
    await expect(failing).rejects.toThrow("first");
    expect(seen).toEqual(["aborted"]);
  });
});

describe("limiter under a long queue", () => {
  it("rejects every waiting task on abort, with one listener on the signal", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const limiter = new Limiter(2);
      const controller = new AbortController();
      const never = () => new Promise<void>(() => {});
      const tasks = Array.from({ length: 200 }, () => limiter.run(never, controller.signal));
      // The two holding a slot also see the abort before their task starts.
      const settled = Promise.allSettled(tasks);
      controller.abort(new Error("stop"));
      const outcomes = await settled;
      expect(outcomes.every((s) => s.status === "rejected" && (s.reason as Error).message === "stop")).toBe(
        true,
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
