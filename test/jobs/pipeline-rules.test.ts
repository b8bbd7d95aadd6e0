// Pipeline rules: how finished runs move a history, the typical (median) duration, and
// expectation matching.

import { describe, expect, test } from "vitest";
import {
  type Expectation,
  type FinishedRun,
  matchExpectation,
  median,
  newHistory,
  recordFinish,
  TYPICAL_RUNS,
} from "../../src/jobs/pipeline-rules.js";

const ok = (finishMs: number, duration?: number): FinishedRun => ({ outcome: "success", finishMs, duration });
const dead = (finishMs: number, duration?: number): FinishedRun => ({
  outcome: "failure",
  finishMs,
  duration,
});

describe("median", () => {
  test.each([
    [[], undefined],
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[10, 10, 1000], 10],
  ])("median(%j) = %s", (values, expected) => {
    expect(median(values)).toBe(expected);
  });
});

describe("recordFinish", () => {
  test.each<[string, FinishedRun[], { streak: number; success?: number; failure?: number; last?: number }]>([
    ["nothing yet", [], { streak: 0 }],
    [
      "success, failure, failure",
      [ok(1, 10), dead(2, 20), dead(3, 30)],
      { streak: 2, success: 1, failure: 3, last: 30 },
    ],
    [
      "a success ends the streak",
      [dead(1), dead(2), ok(3, 5)],
      { streak: 0, success: 3, failure: 2, last: 5 },
    ],
    ["failures before any success count", [dead(1), dead(2)], { streak: 2, failure: 2 }],
    [
      "a failure seen late, before the latest success, moves no streak",
      [ok(10, 1), dead(5, 2)],
      { streak: 0, success: 10, failure: 5, last: 1 },
    ],
    ["a success seen late keeps the later one", [ok(10, 1), ok(5, 2)], { streak: 0, success: 10, last: 1 }],
  ])("%s", (_, runs, expected) => {
    const history = newHistory(0);
    for (const run of runs) recordFinish(history, run);
    expect(history.consecutiveFailures).toBe(expected.streak);
    expect(history.lastSuccessMs).toBe(expected.success);
    expect(history.lastFailureMs).toBe(expected.failure);
    expect(history.lastRunDuration).toBe(expected.last);
  });

  test("the typical duration is the median of the last 20 successful runs only", () => {
    const history = newHistory(0);
    // 25 successes of 1..25 s, with slow failures in between that must not count.
    for (let i = 1; i <= 25; i++) {
      recordFinish(history, ok(i * 10, i));
      recordFinish(history, dead(i * 10 + 1, 10_000));
    }
    expect(history.durations).toHaveLength(TYPICAL_RUNS);
    // The last 20 are 6..25: median (15 + 16) / 2.
    expect(history.typicalDuration).toBe(15.5);
  });
});

describe("matchExpectation", () => {
  const expectations: Expectation[] = [
    { source: "spark", jobName: /^(?:daily-.*)$/u, workspace: undefined, maxAgeMs: 1, maxRunDurationMs: 2 },
    {
      source: "dataarts",
      jobName: /^(?:.*)$/u,
      workspace: /^(?:ws1)$/u,
      maxAgeMs: 3,
      maxRunDurationMs: undefined,
    },
    { source: "spark", jobName: /^(?:.*)$/u, workspace: undefined, maxAgeMs: 4, maxRunDurationMs: undefined },
  ];
  test.each([
    ["spark", "daily-load", "", 1],
    ["spark", "hourly", "", 4],
    ["dataarts", "load", "ws1", 3],
    ["dataarts", "load", "ws2", undefined],
  ] as const)("%s %s in %s matches max_age %s", (source, name, workspace, maxAge) => {
    expect(matchExpectation(expectations, source, name, workspace)?.maxAgeMs).toBe(maxAge);
  });
});
