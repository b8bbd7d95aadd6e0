import { describe, expect, it } from "vitest";
import type { SparkJob } from "../../../src/jobs/spark/job.js";
import { JobStore, type StoreOptions } from "../../../src/state/store.js";
import { HOUR, MIN, PROD, RecordingObserver, spark, T0, value } from "../../helpers/job-builders.js";
import { bodyOf } from "../../helpers/store-body.js";

type Step = SparkJob[] | "fail";

async function run(steps: Step[], options: Partial<StoreOptions> = {}) {
  const observer = new RecordingObserver();
  const store = new JobStore({
    staleAfterMs: 5 * MIN,
    stateSeries: "all",
    maxSeriesPerSource: 100_000,
    observer,
    ...options,
  });
  for (const [i, step] of steps.entries()) {
    const now = T0 + i * MIN;
    if (step === "fail") await store.applyFailure(PROD, "spark", now);
    else await store.applySuccess(PROD, "spark", step, now);
  }
  return { store, observer, text: bodyOf(store) };
}

const FINISHED = "huaweicloud_dli_spark_jobs_finished_total";
const RUN_COUNT = "huaweicloud_dli_spark_job_run_duration_seconds_count";

describe("spark finished jobs: counted once, baseline excluded", () => {
  const cases: Array<{ name: string; steps: Step[]; success: number; dead: number }> = [
    {
      name: "jobs already finished at the first complete poll are the baseline",
      steps: [[spark("a", "success"), spark("b", "dead"), spark("c", "running")]],
      success: 0,
      dead: 0,
    },
    {
      name: "a running job seen finishing counts once, not at every later poll",
      steps: [
        [spark("a", "running")],
        [spark("a", "success")],
        [spark("a", "success")],
        [spark("a", "success")],
      ],
      success: 1,
      dead: 0,
    },
    {
      name: "a job created and finished between two polls counts",
      steps: [[spark("a", "running")], [spark("a", "running"), spark("b", "dead")]],
      success: 0,
      dead: 1,
    },
    {
      name: "a job that disappears from the listing is not a finish",
      steps: [[spark("a", "running")], []],
      success: 0,
      dead: 0,
    },
    {
      name: "a failed poll in between: the finish is counted once at recovery",
      steps: [[spark("a", "running")], "fail", [spark("a", "success")], "fail", [spark("a", "success")]],
      success: 1,
      dead: 0,
    },
    {
      name: "a finish seen across a stale drop still counts once",
      steps: [
        [spark("a", "running")],
        "fail",
        "fail",
        "fail",
        "fail",
        "fail",
        "fail",
        "fail",
        [spark("a", "dead")],
      ],
      success: 0,
      dead: 1,
    },
    {
      name: "a finished job does not count again when its terminal state changes",
      steps: [[spark("a", "running")], [spark("a", "success")], [spark("a", "dead")]],
      success: 1,
      dead: 0,
    },
    {
      name: "a job that left the listing and comes back finished counts once",
      steps: [[spark("a", "running")], [], [spark("a", "success")], [spark("a", "success")]],
      success: 1,
      dead: 0,
    },
    {
      name: "recovering then finishing counts once",
      steps: [
        [spark("a", "starting")],
        [spark("a", "running")],
        [spark("a", "recovering")],
        [spark("a", "dead")],
      ],
      success: 0,
      dead: 1,
    },
  ];

  it.each(cases)("$name", async ({ steps, success, dead }) => {
    const { text } = await run(steps);
    expect(value(text, FINISHED, { queue: "etl", state: "success" })).toBe(success);
    expect(value(text, FINISHED, { queue: "etl", state: "dead" })).toBe(dead);
    // One observation of the final duration per finish.
    expect(value(text, RUN_COUNT, { queue: "etl", state: "success" })).toBe(success);
    expect(value(text, RUN_COUNT, { queue: "etl", state: "dead" })).toBe(dead);
  });

  it("observes the final duration in seconds into the right bucket", async () => {
    const { text } = await run([
      [spark("a", "running", { durationMs: 1000 })],
      [spark("a", "success", { durationMs: 95_000 })],
    ]);
    const h = "huaweicloud_dli_spark_job_run_duration_seconds";
    expect(value(text, `${h}_sum`, { queue: "etl", state: "success" })).toBe(95);
    expect(value(text, `${h}_bucket`, { queue: "etl", state: "success", le: "60" })).toBe(0);
    expect(value(text, `${h}_bucket`, { queue: "etl", state: "success", le: "120" })).toBe(1);
    expect(value(text, `${h}_bucket`, { queue: "etl", state: "success", le: "+Inf" })).toBe(1);
  });

  it("counter and histogram series of every queue exist at 0 from the first poll", async () => {
    const { text } = await run([
      [spark("a", "running", { queue: "q1" }), spark("b", "success", { queue: "q2" })],
    ]);
    for (const queue of ["q1", "q2"]) {
      for (const state of ["success", "dead"]) {
        expect(value(text, FINISHED, { queue, state })).toBe(0);
        expect(value(text, RUN_COUNT, { queue, state })).toBe(0);
      }
    }
  });
});

describe("spark snapshot series", () => {
  it("one-hot state, durations and timestamps in seconds, absent where the API sent nothing", async () => {
    const { text } = await run([[spark("a", "running", { durationMs: undefined, updatedMs: T0 + 500 })]]);
    const job = { queue: "etl", job_id: "a", job_name: "job-a" };
    for (const state of ["starting", "recovering", "success", "dead"]) {
      expect(value(text, "huaweicloud_dli_spark_job_state", { ...job, state })).toBe(0);
    }
    expect(value(text, "huaweicloud_dli_spark_job_state", { ...job, state: "running" })).toBe(1);
    expect(value(text, "huaweicloud_dli_spark_job_duration_seconds", job)).toBeUndefined();
    expect(value(text, "huaweicloud_dli_spark_job_created_timestamp_seconds", job)).toBe(
      (T0 - 10 * MIN) / 1000,
    );
    expect(value(text, "huaweicloud_dli_spark_job_updated_timestamp_seconds", job)).toBe(1_700_000_000.5);
  });

  it("jobs per queue and state, zero-filled over every known state of every queue seen", async () => {
    const { text } = await run([
      [spark("a", "running", { queue: "q1" }), spark("b", "running", { queue: "q1" })],
      [spark("c", "starting", { queue: "q2" })],
    ]);
    const jobs = "huaweicloud_dli_spark_jobs";
    expect(value(text, jobs, { queue: "q1", state: "running" })).toBe(0);
    expect(value(text, jobs, { queue: "q2", state: "starting" })).toBe(1);
    for (const state of ["starting", "running", "recovering", "success", "dead"]) {
      expect(value(text, jobs, { queue: "q1", state })).toBe(0);
      expect(value(text, jobs, { queue: "q2", state })).toBeDefined();
    }
  });

  it("state_series active serves only the current state's row", async () => {
    const { text } = await run([[spark("a", "running")]], { stateSeries: "active" });
    const job = { queue: "etl", job_id: "a", job_name: "job-a" };
    expect(value(text, "huaweicloud_dli_spark_job_state", { ...job, state: "running" })).toBe(1);
    expect(value(text, "huaweicloud_dli_spark_job_state", { ...job, state: "dead" })).toBeUndefined();
  });
});

describe("spark unknown states", () => {
  it("reported lower-cased as 1 beside the known ones at 0, counted once per job entering it", async () => {
    const { text, observer } = await run([
      [spark("a", "killed")],
      [spark("a", "killed"), spark("b", "killed")],
      [spark("a", "running"), spark("b", "killed")],
      [spark("a", "killed"), spark("b", "killed")],
    ]);
    const job = { queue: "etl", job_id: "a", job_name: "job-a" };
    expect(value(text, "huaweicloud_dli_spark_job_state", { ...job, state: "killed" })).toBe(1);
    expect(value(text, "huaweicloud_dli_spark_job_state", { ...job, state: "running" })).toBe(0);
    expect(value(text, "huaweicloud_dli_spark_jobs", { queue: "etl", state: "killed" })).toBe(2);
    // a enters killed twice (polls 1 and 4), b once (poll 2).
    expect(observer.unknown).toEqual([
      ["spark", "killed"],
      ["spark", "killed"],
      ["spark", "killed"],
    ]);
  });
});

describe("spark memory of jobs that left the listing", () => {
  // Polls every 10 minutes: the job finishes, leaves the listing, and comes back `gone` later.
  async function finishesAfterReturn(gone: number, lookbackMs = 24 * HOUR): Promise<number | undefined> {
    // biome-ignore lint/suspicious/noExplicitAny: only the fields the store reads
    const target = { ...PROD, spark: { finishedRetentionMs: HOUR, lookbackMs } } as any;
    const store = new JobStore({
      staleAfterMs: HOUR,
      stateSeries: "all",
      maxSeriesPerSource: 1000,
      targets: [target],
    });
    const other = spark("other", "running");
    await store.applySuccess(PROD, "spark", [other, spark("a", "running")], T0);
    await store.applySuccess(PROD, "spark", [other, spark("a", "success")], T0 + 10 * MIN);
    for (let t = 20 * MIN; t < 10 * MIN + gone; t += 10 * MIN)
      await store.applySuccess(PROD, "spark", [other], T0 + t);
    await store.applySuccess(PROD, "spark", [other, spark("a", "success")], T0 + 10 * MIN + gone);
    return value(bodyOf(store), FINISHED, { queue: "etl", state: "success" });
  }

  it("a finished job back within a day is not counted again", async () => {
    expect(await finishesAfterReturn(23 * HOUR)).toBe(1);
  });

  it("after a day it is forgotten, so a job listed again counts as a new finish", async () => {
    expect(await finishesAfterReturn(25 * HOUR)).toBe(2);
  });

  it("a longer lookback keeps jobs for as long as the lookback", async () => {
    expect(await finishesAfterReturn(47 * HOUR, 48 * HOUR)).toBe(1);
    expect(await finishesAfterReturn(49 * HOUR, 48 * HOUR)).toBe(2);
  });
});

describe("spark finished retention", () => {
  const retention = {
    name: "prod",
    region: PROD.region,
    projectId: PROD.projectId,
    spark: { finishedRetentionMs: 30 * MIN, lookbackMs: 24 * HOUR },
    // biome-ignore lint/suspicious/noExplicitAny: only the fields the store reads
  } as any;

  it("per-job series of a finished job go once update_time is older than finished_retention; counts stay", async () => {
    const observer = new RecordingObserver();
    const store = new JobStore({
      staleAfterMs: 5 * MIN,
      stateSeries: "all",
      maxSeriesPerSource: 1000,
      targets: [retention],
      observer,
    });
    const finishedAt = T0;
    await store.applySuccess(PROD, "spark", [spark("a", "running")], T0 - MIN);
    await store.applySuccess(PROD, "spark", [spark("a", "success", { updatedMs: finishedAt })], T0);
    const job = { queue: "etl", job_id: "a", job_name: "job-a" };
    const info = (text: string) =>
      [...text.matchAll(/^huaweicloud_dli_spark_job_info\{.*job_id="a"/gm)].length;
    expect(info(bodyOf(store))).toBe(1);

    await store.applySuccess(
      PROD,
      "spark",
      [spark("a", "success", { updatedMs: finishedAt })],
      T0 + 30 * MIN,
    );
    expect(info(bodyOf(store))).toBe(1);

    await store.applySuccess(
      PROD,
      "spark",
      [spark("a", "success", { updatedMs: finishedAt })],
      T0 + 31 * MIN,
    );
    const text = bodyOf(store);
    expect(info(text)).toBe(0);
    expect(value(text, "huaweicloud_dli_spark_job_state", { ...job, state: "success" })).toBeUndefined();
    expect(value(text, "huaweicloud_dli_spark_jobs", { queue: "etl", state: "success" })).toBe(1);
    expect(value(text, FINISHED, { queue: "etl", state: "success" })).toBe(1);
  });

  it("retention also runs out while polls fail", async () => {
    const store = new JobStore({
      staleAfterMs: HOUR,
      stateSeries: "all",
      maxSeriesPerSource: 1000,
      targets: [retention],
    });
    await store.applySuccess(
      PROD,
      "spark",
      [spark("a", "success", { updatedMs: T0 }), spark("b", "running")],
      T0,
    );
    const before = bodyOf(store);
    expect(before).toContain('job_id="a"');
    await store.applyFailure(PROD, "spark", T0 + 10 * MIN);
    expect(bodyOf(store)).toBe(before);
    await store.applyFailure(PROD, "spark", T0 + 31 * MIN);
    const after = bodyOf(store);
    expect(after).not.toContain('job_id="a"');
    expect(after).toContain('job_id="b"');
  });

  it("running jobs are served however old", async () => {
    const store = new JobStore({ staleAfterMs: HOUR, stateSeries: "all", maxSeriesPerSource: 1000 });
    await store.applySuccess(PROD, "spark", [spark("a", "running", { updatedMs: T0 - 10 * HOUR })], T0);
    expect(bodyOf(store)).toContain('job_id="a"');
  });
});
