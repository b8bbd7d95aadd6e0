import { describe, expect, it } from "vitest";
import type { DataArtsJob } from "../../../src/jobs/dataarts/job.js";
import { JobStore } from "../../../src/state/store.js";
import { dataarts, MIN, PROD, RecordingObserver, T0, value } from "../../helpers/job-builders.js";
import { bodyOf } from "../../helpers/store-body.js";

async function run(steps: Array<DataArtsJob[] | "fail">, stateSeries: "all" | "active" = "all") {
  const observer = new RecordingObserver();
  const store = new JobStore({ staleAfterMs: 5 * MIN, stateSeries, maxSeriesPerSource: 100_000, observer });
  for (const [i, step] of steps.entries()) {
    if (step === "fail") await store.applyFailure(PROD, "dataarts", T0 + i * MIN);
    else await store.applySuccess(PROD, "dataarts", step, T0 + i * MIN);
  }
  return { text: bodyOf(store), observer };
}

const FINISHED = "huaweicloud_dataarts_job_instances_finished_total";
const ID = { workspace: "default", job_name: "daily", job_type: "BATCH" };

function ended(status: string, minutes: number): Partial<DataArtsJob> {
  return { lastInstanceStatus: status, lastInstanceEndMs: T0 + minutes * MIN };
}

describe("dataarts finished instances", () => {
  const cases: Array<{
    name: string;
    steps: Array<DataArtsJob[] | "fail">;
    expected: Record<string, number>;
  }> = [
    {
      name: "the baseline's last instance is history",
      steps: [[dataarts("daily", "scheduling", ended("fail", 0))]],
      expected: { success: 0, fail: 0 },
    },
    {
      name: "each new end time counts once with its status",
      steps: [
        [dataarts("daily", "scheduling", ended("success", 0))],
        [dataarts("daily", "scheduling", ended("fail", 1))],
        [dataarts("daily", "scheduling", ended("fail", 1))],
        [dataarts("daily", "scheduling", ended("success", 2))],
        [dataarts("daily", "scheduling", ended("success", 3))],
      ],
      expected: { success: 2, fail: 1 },
    },
    {
      name: "a running instance has not ended; its end counts when it ends",
      steps: [
        [dataarts("daily", "scheduling", ended("success", 0))],
        [dataarts("daily", "scheduling", ended("running", 0))],
        [dataarts("daily", "scheduling", ended("manual-stop", 2))],
      ],
      expected: { success: 0, "manual-stop": 1 },
    },
    {
      name: "an end seen across failed polls counts once",
      steps: [
        [dataarts("daily", "scheduling", ended("success", 0))],
        "fail",
        [dataarts("daily", "scheduling", ended("success", 5))],
        "fail",
        [dataarts("daily", "scheduling", ended("success", 5))],
      ],
      expected: { success: 1 },
    },
    {
      name: "a job created after the baseline counts its first instance",
      steps: [[], [dataarts("daily", "scheduling", ended("success", 1))]],
      expected: { success: 1, fail: 0 },
    },
  ];
  it.each(cases)("$name", async ({ steps, expected }) => {
    const { text } = await run(steps);
    for (const [status, n] of Object.entries(expected)) {
      expect(value(text, FINISHED, { ...ID, status })).toBe(n);
    }
  });

  it("a job deleted from the listing loses its counter rows", async () => {
    const { text } = await run([[dataarts("daily", "scheduling")], []]);
    expect(value(text, FINISHED, { ...ID, status: "success" })).toBeUndefined();
  });

  it("REAL_TIME jobs have no last-instance series and no instance counters", async () => {
    const { text } = await run([
      [
        dataarts("stream", "normal", {
          jobType: "REAL_TIME",
          lastInstanceStatus: "",
          lastInstanceEndMs: undefined,
        }),
      ],
    ]);
    expect(text).not.toContain("huaweicloud_dataarts_job_last_instance");
    expect(text).not.toContain(FINISHED);
    const rt = { workspace: "default", job_name: "stream", job_type: "REAL_TIME" };
    expect(value(text, "huaweicloud_dataarts_job_status", { ...rt, status: "normal" })).toBe(1);
    expect([...text.matchAll(/^huaweicloud_dataarts_job_status\{/gm)]).toHaveLength(5);
  });
});

describe("dataarts series", () => {
  it("info, one-hot status of the job type, last instance one-hot and end timestamp", async () => {
    const { text } = await run([
      [dataarts("daily", "paused", { ...ended("skip-by-depend", 0), priority: "2", owner: "o" })],
    ]);
    expect(
      value(text, "huaweicloud_dataarts_job_info", { ...ID, owner: "o", path: "/etl", priority: "2" }),
    ).toBe(1);
    expect([...text.matchAll(/^huaweicloud_dataarts_job_status\{/gm)]).toHaveLength(3);
    expect(value(text, "huaweicloud_dataarts_job_status", { ...ID, status: "paused" })).toBe(1);
    expect(value(text, "huaweicloud_dataarts_job_status", { ...ID, status: "scheduling" })).toBe(0);
    expect([...text.matchAll(/^huaweicloud_dataarts_job_last_instance_status\{/gm)]).toHaveLength(9);
    expect(
      value(text, "huaweicloud_dataarts_job_last_instance_status", { ...ID, status: "skip-by-depend" }),
    ).toBe(1);
    expect(value(text, "huaweicloud_dataarts_job_last_instance_end_timestamp_seconds", ID)).toBe(T0 / 1000);
  });

  it("jobs per workspace, job type and status, zero-filled over the type's statuses", async () => {
    const { text } = await run([
      [
        dataarts("a", "scheduling"),
        dataarts("b", "scheduling", { workspace: "ws2" }),
        dataarts("c", "normal", {
          jobType: "REAL_TIME",
          lastInstanceStatus: "",
          lastInstanceEndMs: undefined,
        }),
      ],
    ]);
    const jobs = "huaweicloud_dataarts_jobs";
    expect(value(text, jobs, { workspace: "default", job_type: "BATCH", status: "scheduling" })).toBe(1);
    expect(value(text, jobs, { workspace: "default", job_type: "BATCH", status: "paused" })).toBe(0);
    expect(value(text, jobs, { workspace: "ws2", job_type: "BATCH", status: "stopped" })).toBe(0);
    expect(value(text, jobs, { workspace: "default", job_type: "REAL_TIME", status: "normal" })).toBe(1);
    expect(value(text, jobs, { workspace: "default", job_type: "REAL_TIME", status: "exception" })).toBe(0);
    expect([...text.matchAll(/^huaweicloud_dataarts_jobs\{/gm)]).toHaveLength(3 + 3 + 5);
  });

  it("unknown job and instance statuses are served and counted once per job entering them", async () => {
    const { text, observer } = await run([
      [dataarts("daily", "normal", ended("retrying", 0))],
      [dataarts("daily", "normal", ended("retrying", 0))],
    ]);
    expect(value(text, "huaweicloud_dataarts_job_status", { ...ID, status: "normal" })).toBe(1);
    expect(value(text, "huaweicloud_dataarts_job_last_instance_status", { ...ID, status: "retrying" })).toBe(
      1,
    );
    expect(observer.unknown).toEqual([
      ["dataarts", "normal"],
      ["dataarts", "retrying"],
    ]);
  });

  it("no last-instance series for a BATCH job that never ran", async () => {
    const { text } = await run([
      [dataarts("new", "scheduling", { lastInstanceStatus: "", lastInstanceEndMs: undefined })],
    ]);
    expect(text).not.toContain("huaweicloud_dataarts_job_last_instance");
  });
});
