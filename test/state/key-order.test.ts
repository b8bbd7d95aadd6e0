// The store's key order: the previous order kept, new keys sorted in, as a full sort would give.

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { inKeyOrder } from "../../src/state/store.js";

describe("inKeyOrder", () => {
  test.each([
    { name: "nothing before", previous: [], now: ["b", "a", "c"] },
    { name: "nothing new", previous: ["a", "b", "c"], now: ["c", "a", "b"] },
    { name: "some gone, some new", previous: ["a", "c", "e"], now: ["e", "b", "a", "f"] },
    { name: "all gone", previous: ["a", "b"], now: ["x", "y"] },
    { name: "code units, not locale", previous: ["B", "a"], now: ["a", "B", "É", "e"] },
  ])("$name", ({ previous, now }) => {
    const byKey = new Map(now.map((key) => [key, { key }]));
    const { keys, sorted } = inKeyOrder(previous, byKey);
    const expected = [...now].sort();
    expect(keys).toEqual(expected);
    expect(sorted.map((job) => job.key)).toEqual(expected);
  });

  test("equals a full sort of the keys now, whatever came before", () => {
    const key = fc.string({ maxLength: 4 });
    fc.assert(
      fc.property(fc.uniqueArray(key), fc.uniqueArray(key), (before, now) => {
        const previous = [...before].sort();
        const byKey = new Map(now.map((k) => [k, k.length]));
        const { keys, sorted } = inKeyOrder(previous, byKey);
        const expected = [...now].sort();
        expect(keys).toEqual(expected);
        expect(sorted).toEqual(expected.map((k) => k.length));
      }),
    );
  });
});
