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
