// One rule, two users: the tracker serves a Spark job's per-job series exactly when the page
// loop would ask for its details. Before the rule had one home, a finished job with neither
// update_time nor create_time was served but never got its details call.

import { describe, expect, it } from "vitest";
import { DEFAULT_PIPELINE_SETTINGS } from "../../../src/jobs/pipeline-rules.js";
import { selectDetailsCalls } from "../../../src/jobs/spark/api.js";
import type { SparkJob } from "../../../src/jobs/spark/job.js";
import { SparkTracker } from "../../../src/jobs/spark/tracker.js";
import { spark } from "../../helpers/job-builders.js";

const NOW = Date.UTC(2026, 11, 3, 12);
const HOUR = 3_600_000;
const RETENTION = HOUR;

const times: Array<Pick<SparkJob, "createdMs" | "updatedMs">> = [
  { createdMs: undefined, updatedMs: undefined },
  { createdMs: NOW - 3 * HOUR, updatedMs: undefined },
  { createdMs: NOW - 30 * 60_000, updatedMs: undefined },
  { createdMs: NOW - 3 * HOUR, updatedMs: NOW - 2 * HOUR },
  { createdMs: NOW - 3 * HOUR, updatedMs: NOW - RETENTION },
  { createdMs: NOW - 3 * HOUR, updatedMs: NOW - RETENTION - 1 },
  { createdMs: undefined, updatedMs: NOW - 10 * 60_000 },
];
const states = ["starting", "running", "recovering", "success", "dead", "a_new_state"];

describe("a Spark job is served exactly when it is eligible for its details call", () => {
  const tracker = new SparkTracker(() => ({
    finishedRetentionMs: RETENTION,
    forgetAfterMs: 24 * HOUR,
    pipelines: DEFAULT_PIPELINE_SETTINGS,
  }));
  const cases = states.flatMap((state) =>
    times.map((t, i) => ({ state, i, job: spark(`job-${state}-${i}`, state, t) })),
  );
  it.each(cases)("$state, times #$i", ({ job }) => {
    const served = tracker.serves(job, NOW);
    const asked = selectDetailsCalls({
      jobs: [job],
      cached: new Set(),
      nowMs: NOW,
      finishedRetentionMs: RETENTION,
      limit: 10,
    });
    expect(asked.length === 1).toBe(served);
  });

  it("the table holds both answers (a table of one answer would agree by accident)", () => {
    const answers = new Set(cases.map(({ job }) => tracker.serves(job, NOW)));
    expect([...answers].sort()).toEqual([false, true]);
  });
});
