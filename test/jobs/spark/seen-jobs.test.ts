// The Spark tracker's memory of jobs seen in the last day (src/state/seen-jobs.ts) must answer
// exactly as a Map from id to { state, last seen } would, through growth, shrinking and the
// removals that shift probe runs; and its 64-bit id hash must not merge real-looking ids.

import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { idHash, SeenJobs } from "../../../src/jobs/spark/seen-jobs.js";

type Op = { kind: "see"; id: number; state: number; at: number } | { kind: "forget"; before: number };

/** Runs `ops` on both the table and a Map; returns where they first disagree, or undefined. */
function disagreement(ops: Op[], states: readonly string[]): string | undefined {
  const table = new SeenJobs();
  const model = new Map<string, { state: string; at: number }>();
  let now = 1_700_000_000;
  for (const [i, op] of ops.entries()) {
    if (op.kind === "see") {
      now += op.at;
      const id = `job-${op.id}`;
      const state = states[op.state % states.length] as string;
      const got = table.see(id, state, now * 1000);
      const want = model.get(id)?.state;
      model.set(id, { state, at: now });
      if (got !== want) return `op ${i}: see ${id} returned ${got}, the model ${want}`;
    } else {
      const before = now - op.before;
      table.forgetBefore(before * 1000);
      for (const [id, seen] of model) if (seen.at < before) model.delete(id);
    }
    if (table.size !== model.size) return `op ${i}: ${table.size} remembered, the model ${model.size}`;
  }
  // Every id the model holds is found again with its state, so no removal cut a probe run short.
  for (const [id, seen] of model) {
    const got = table.see(id, seen.state, now * 1000);
    if (got !== seen.state) return `at the end: ${id} is ${got}, the model ${seen.state}`;
  }
  return undefined;
}

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({
      kind: fc.constant("see" as const),
      id: fc.integer({ min: 0, max: 5000 }),
      state: fc.nat(),
      at: fc.integer({ min: 0, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("forget" as const), before: fc.integer({ min: 0, max: 4000 }) }),
  },
);

describe("SeenJobs: the Spark tracker's memory", () => {
  it("answers as a Map would through growth, removals and shrinking (random operations)", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 6000, size: "max" }), (ops) => {
        expect(disagreement(ops, ["running", "success", "dead", "starting"])).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });

  it("removing every other job of a crowded table keeps the rest findable (probe runs shift back)", () => {
    const ops: Op[] = [];
    // 700 jobs in 1,024 slots: long probe runs. Odd jobs are seen 10 s later than even ones.
    for (let id = 0; id < 700; id++) ops.push({ kind: "see", id, state: id, at: 0 });
    ops.push({ kind: "see", id: 0, state: 0, at: 10 });
    for (let id = 1; id < 700; id += 2) ops.push({ kind: "see", id, state: id + 1, at: 0 });
    ops.push({ kind: "forget", before: 5 });
    expect(disagreement(ops, ["running", "success", "dead"])).toBeUndefined();
  });

  it("a table filled to several thousand jobs and then mostly forgotten shrinks and stays exact", () => {
    const ops: Op[] = [];
    for (let id = 0; id < 20_000; id++) ops.push({ kind: "see", id, state: id, at: id % 7 === 0 ? 1 : 0 });
    ops.push({ kind: "forget", before: 100 });
    for (let id = 0; id < 300; id++) ops.push({ kind: "see", id: id * 13, state: id + 1, at: 0 });
    expect(disagreement(ops, ["running", "success", "dead"])).toBeUndefined();

    const table = new SeenJobs();
    for (let id = 0; id < 20_000; id++) table.see(`job-${id}`, "running", 1_000_000);
    const full = table.capacity;
    for (let id = 0; id < 50; id++) table.see(`job-${id}`, "dead", 5_000_000);
    table.forgetBefore(2_000_000);
    expect(table.size).toBe(50);
    expect(table.capacity).toBeLessThan(full / 8);
    expect(table.see("job-7", "dead", 5_000_000)).toBe("dead");
    expect(table.see("job-60", "dead", 5_000_000)).toBeUndefined();
  });

  it("past 254 distinct states a state still reads as a change, never as another state", () => {
    const table = new SeenJobs();
    for (let i = 0; i < 300; i++) table.see(`job-${i}`, `state-${i}`, 0);
    expect(table.see("job-10", "state-10", 0)).toBe("state-10");
    const overflowed = table.see("job-290", "state-290", 0);
    expect(overflowed).not.toBe("state-290");
    expect(overflowed).not.toBeUndefined();
    expect(table.see("job-290", "success", 0)).not.toBe("success");
  });

  it("no two of 300,000 distinct ids share a hash: UUIDs as DLI gives them, and sequential names", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 150_000; i++) seen.add(idHash(randomUUID()));
    for (let i = 0; i < 150_000; i++) seen.add(idHash(`bench_new_${i}`));
    expect(seen.size).toBe(300_000);
  });

  it("sequential ids spread evenly over the table's home slots", () => {
    const buckets = new Array<number>(1024).fill(0);
    const n = 102_400;
    for (let i = 0; i < n; i++) {
      const low = Number.parseInt(idHash(`batch-${i}`).slice(8), 16);
      buckets[low & 1023] = (buckets[low & 1023] as number) + 1;
    }
    // 100 expected per slot; a uniform hash stays within ±50 % (over 11 standard deviations).
    expect(Math.min(...buckets)).toBeGreaterThan(50);
    expect(Math.max(...buckets)).toBeLessThan(150);
  });
});
