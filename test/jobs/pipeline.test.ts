// The pipelines of one target and source: the max_per_source guard.

import { describe, expect, test } from "vitest";
import { Pipelines } from "../../src/jobs/pipeline.js";

describe("the max_per_source guard", () => {
  test("forgets the least recently run pipelines first and counts them", () => {
    const pipelines = new Pipelines("spark", (labels) => ({ jobName: labels[0] as string, workspace: "" }));
    for (const [name, lastRun] of [
      ["old", 1_000],
      ["new", 3_000],
      ["middle", 2_000],
    ] as const) {
      pipelines.ensure(name, [name], lastRun);
    }
    pipelines.publish({ maxPerSource: 2, failingThreshold: 3, expectations: [] });
    expect(pipelines.get("old")).toBeUndefined();
    expect(pipelines.get("middle")).toBeDefined();
    expect(pipelines.takeDropped()).toBe(1);
    expect(pipelines.takeDropped()).toBe(0);
    expect(pipelines.rows(false).rows.map((row) => row.labels[0])).toEqual(["middle", "new"]);
  });
});
