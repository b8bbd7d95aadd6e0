// The series guard (metrics contract, "Cardinality"): past `max` per-job series per target and
// source, the most wanted jobs are kept whole, in the source's order, until the budget is
// spent; the first that does not fit ends it. Counts are exact, so what is served does not
// depend on what the last poll served.

/** A job's place in the guard's order, compared element by element: the lowest goes first. */
export type DropRank = readonly [number, number];

function compareRank(a: DropRank, b: DropRank): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * Which of `count` jobs are kept (1) and how many series the rest had. `rank(i)` and
 * `series(i)` describe job `i`; ties keep the earlier job.
 */
export function guardSeries(
  count: number,
  rank: (index: number) => DropRank,
  series: (index: number) => number,
  max: number,
): { keep: Uint8Array; dropped: number } {
  const ranks: DropRank[] = [];
  for (let index = 0; index < count; index++) ranks.push(rank(index));
  const order = ranks.map((_, index) => index);
  order.sort((a, b) => compareRank(ranks[b] as DropRank, ranks[a] as DropRank) || a - b);
  const keep = new Uint8Array(count);
  let budget = max;
  for (const index of order) {
    const needed = series(index);
    if (needed > budget) break;
    budget -= needed;
    keep[index] = 1;
  }
  let dropped = 0;
  for (let index = 0; index < count; index++) if (keep[index] === 0) dropped += series(index);
  return { keep, dropped };
}
