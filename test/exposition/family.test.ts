// CountTable: the rows of counters and per-state counts, served in label order whatever the
// order in which rows were added, deleted and added again.

import { describe, expect, it } from "vitest";
import { CountTable } from "../../src/exposition/family.js";

/** A small deterministic generator, so a failure repeats. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("count table order", () => {
  it("serves rows sorted by label values whatever the order of adds, deletes and re-adds", () => {
    const table = new CountTable();
    const next = random(3);
    const model = new Map<string, { labels: string[]; value: number }>();
    for (let step = 0; step < 2000; step++) {
      const labels = [`q${Math.floor(next() * 5)}`, `s "${Math.floor(next() * 40)}"`];
      const key = JSON.stringify(labels);
      if (next() < 0.3) {
        table.delete(labels);
        model.delete(key);
      } else {
        table.add(labels, 2);
        model.set(key, { labels, value: (model.get(key)?.value ?? 0) + 2 });
      }
      if (step % 97 === 0) {
        const expected = [...model.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([, row]) => row);
        expect(table.samples()).toEqual(expected);
      }
    }
  });
});

describe("count table samples", () => {
  it("hands the same array while no row changed, and every change after one", () => {
    const table = new CountTable();
    const next = random(11);
    const model = new Map<string, number>();
    let last = table.samples();
    for (let step = 0; step < 2_000; step++) {
      const label = `r${Math.floor(next() * 20)}`;
      const before = model.get(label);
      const action = Math.floor(next() * 5);
      if (action === 0) {
        table.set([label], 7);
        model.set(label, 7);
      } else if (action === 1) {
        table.add([label], 0);
        model.set(label, before ?? 0);
      } else if (action === 2) {
        table.add([label]);
        model.set(label, (before ?? 0) + 1);
      } else if (action === 3) {
        table.delete([label]);
        model.delete(label);
      } else {
        table.ensure([label]);
        model.set(label, before ?? 0);
      }
      const samples = table.samples();
      const now = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
      expect(samples.map((s) => [s.labels[0], s.value])).toEqual(now);
      const same =
        now.length === last.length &&
        now.every(([l, v], i) => last[i]?.labels[0] === l && last[i]?.value === v);
      // Unchanged rows: the very same array (the renderer keeps its text); changed: a new one.
      expect(samples === last).toBe(same);
      last = samples;
    }
  });
});
