import { describe, expect, it } from "vitest";
import type { FlinkJob } from "../../../src/jobs/flink/job.js";
import { JobStore } from "../../../src/state/store.js";
import { flink, MIN, PROD, RecordingObserver, T0, value } from "../../helpers/job-builders.js";
import { bodyOf } from "../../helpers/store-body.js";

async function run(steps: Array<FlinkJob[] | "fail">, stateSeries: "all" | "active" = "all") {
  const observer = new RecordingObserver();
  const store = new JobStore({ staleAfterMs: 5 * MIN, stateSeries, maxSeriesPerSource: 100_000, observer });
  for (const [i, step] of steps.entries()) {
    if (step === "fail") await store.applyFailure(PROD, "flink", T0 + i * MIN);
    else await store.applySuccess(PROD, "flink", step, T0 + i * MIN);
  }
  return { text: bodyOf(store), observer };
}

const CHANGES = "huaweicloud_dli_flink_job_status_changes_total";

describe("flink status changes", () => {
  const cases: Array<{ name: string; steps: Array<FlinkJob[] | "fail">; expected: Record<string, number> }> =
    [
      {
        name: "the baseline poll counts nothing",
        steps: [[flink("1", "job_running"), flink("2", "job_init")]],
        expected: { job_running: 0, job_init: 0 },
      },
      {
        name: "a job seen changing status counts the status it entered",
        steps: [[flink("1", "job_submitting")], [flink("1", "job_running")], [flink("1", "job_running")]],
        expected: { job_running: 1, job_submitting: 0 },
      },
      {
        name: "a new job after the baseline counts as entering its status",
        steps: [[flink("1", "job_running")], [flink("1", "job_running"), flink("2", "job_submitting")]],
        expected: { job_submitting: 1, job_running: 0 },
      },
      {
        name: "a failed poll between two states counts the change once",
        steps: [
          [flink("1", "job_running")],
          "fail",
          [flink("1", "job_running_exception")],
          "fail",
          [flink("1", "job_running_exception")],
        ],
        expected: { job_running_exception: 1 },
      },
      {
        name: "running, exception, running again counts each entry",
        steps: [
          [flink("1", "job_running")],
          [flink("1", "job_running_exception")],
          [flink("1", "job_running")],
        ],
        expected: { job_running_exception: 1, job_running: 1 },
      },
    ];
  it.each(cases)("$name", async ({ steps, expected }) => {
    const { text } = await run(steps);
    for (const [status, n] of Object.entries(expected)) {
      expect(value(text, CHANGES, { queue: "rt", status })).toBe(n);
    }
  });

  it("every status of every queue seen exists at 0 from the first poll", async () => {
    const { text } = await run([[flink("1", "job_running")]]);
    const matches = [...text.matchAll(new RegExp(`^${CHANGES}\\{`, "gm"))];
    expect(matches).toHaveLength(14);
    const jobs = [...text.matchAll(/^huaweicloud_dli_flink_jobs\{/gm)];
    expect(jobs).toHaveLength(14);
    expect(value(text, "huaweicloud_dli_flink_jobs", { queue: "rt", status: "job_running" })).toBe(1);
  });
});

describe("flink per-job series", () => {
  const job = { queue: "rt", job_id: "7", job_name: "stream-7" };

  it("info, one-hot status over 14, duration, timestamps and restarts from the API", async () => {
    const { text } = await run([[flink("7", "job_running", { restarts: 3, durationMs: 7_200_000 })]]);
    expect(
      value(text, "huaweicloud_dli_flink_job_info", {
        ...job,
        job_type: "flink_opensource_sql_job",
        user_name: "bob",
      }),
    ).toBe(1);
    expect([...text.matchAll(/^huaweicloud_dli_flink_job_status\{/gm)]).toHaveLength(14);
    expect(value(text, "huaweicloud_dli_flink_job_status", { ...job, status: "job_running" })).toBe(1);
    expect(value(text, "huaweicloud_dli_flink_job_status", { ...job, status: "job_finish" })).toBe(0);
    expect(value(text, "huaweicloud_dli_flink_job_duration_seconds", job)).toBe(7200);
    expect(value(text, "huaweicloud_dli_flink_job_restarts_total", job)).toBe(3);
    expect(value(text, "huaweicloud_dli_flink_job_start_timestamp_seconds", job)).toBe(
      (T0 - 2 * 3_600_000) / 1000,
    );
  });

  it("no start timestamp while the job never started", async () => {
    const { text } = await run([[flink("7", "job_submitting", { startMs: undefined })]]);
    expect(value(text, "huaweicloud_dli_flink_job_start_timestamp_seconds", job)).toBeUndefined();
    expect(value(text, "huaweicloud_dli_flink_job_created_timestamp_seconds", job)).toBeDefined();
  });

  it("state_series active: one status row per job", async () => {
    const { text } = await run([[flink("7", "job_running")]], "active");
    expect([...text.matchAll(/^huaweicloud_dli_flink_job_status\{/gm)]).toHaveLength(1);
  });

  it("an unknown status is served as 1 and counted once per job entering it", async () => {
    const { text, observer } = await run([[flink("7", "job_paused")], [flink("7", "job_paused")]]);
    expect(value(text, "huaweicloud_dli_flink_job_status", { ...job, status: "job_paused" })).toBe(1);
    expect(value(text, "huaweicloud_dli_flink_jobs", { queue: "rt", status: "job_paused" })).toBe(1);
    expect(observer.unknown).toEqual([["flink", "job_paused"]]);
  });
});
