import { describe, expect, it } from "vitest";
import { JobStore, type StoreOptions } from "../../src/state/store.js";
import { parseExposition } from "../helpers/exposition-parser.js";
import {
  DEV,
  dataarts,
  familiesOf,
  flink,
  HOUR,
  MIN,
  PROD,
  RecordingObserver,
  spark,
  T0,
  value,
} from "../helpers/job-builders.js";
import { bodyOf } from "../helpers/store-body.js";

function newStore(options: Partial<StoreOptions> = {}) {
  const observer = new RecordingObserver();
  const store = new JobStore({
    staleAfterMs: 5 * MIN,
    stateSeries: "all",
    maxSeriesPerSource: 100_000,
    observer,
    ...options,
  });
  return { store, observer };
}

const JOB_A = { queue: "etl", job_id: "a", job_name: "job-a" };

describe("staleness", () => {
  it("a failing source keeps its last complete data until stale_after, then per-job series and snapshot gauges go, counters stay", async () => {
    const { store, observer } = newStore();
    await store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
    await store.applySuccess(PROD, "spark", [spark("a", "success", { updatedMs: T0 + MIN })], T0 + MIN);
    const served = bodyOf(store);
    expect(value(served, "huaweicloud_dli_spark_job_state", { ...JOB_A, state: "success" })).toBe(1);

    await store.applyFailure(PROD, "spark", T0 + 3 * MIN);
    await store.applyFailure(PROD, "spark", T0 + 6 * MIN); // exactly stale_after: still served
    expect(bodyOf(store)).toBe(served);
    expect(observer.held.get("prod/spark")).toBe(1);

    await store.applyFailure(PROD, "spark", T0 + 6 * MIN + 1);
    const stale = bodyOf(store);
    // Counters stay, and so does what the exporter remembers of pipelines; runs_active goes.
    expect(familiesOf(stale)).toEqual([
      "huaweicloud_dli_spark_jobs_finished_total",
      "huaweicloud_dli_spark_job_run_duration_seconds",
      "huaweicloud_dli_spark_pipeline_last_success_timestamp_seconds",
      "huaweicloud_dli_spark_pipeline_last_run_duration_seconds",
      "huaweicloud_dli_spark_pipeline_typical_run_duration_seconds",
      "huaweicloud_dli_spark_pipeline_consecutive_failures",
      "huaweicloud_dli_spark_pipeline_first_seen_timestamp_seconds",
    ]);
    expect(
      value(stale, "huaweicloud_dli_spark_jobs_finished_total", { queue: "etl", state: "success" }),
    ).toBe(1);
    expect(observer.held.get("prod/spark")).toBe(0);
    expect(store.jobsHeld("prod", "spark")).toBe(0);

    // Recovery serves again and counts nothing twice.
    await store.applySuccess(PROD, "spark", [spark("a", "success", { updatedMs: T0 + MIN })], T0 + 10 * MIN);
    const back = bodyOf(store);
    expect(value(back, "huaweicloud_dli_spark_job_state", { ...JOB_A, state: "success" })).toBe(1);
    expect(value(back, "huaweicloud_dli_spark_jobs_finished_total", { queue: "etl", state: "success" })).toBe(
      1,
    );
    // The pipeline's active runs are a fact of a complete poll again.
    expect(value(back, "huaweicloud_dli_spark_pipeline_runs_active", { job_name: "job-a" })).toBe(0);
  });

  it("staleness of one source leaves the other sources and targets alone", async () => {
    const { store } = newStore();
    await store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
    await store.applySuccess(PROD, "flink", [flink("1", "job_running")], T0);
    await store.applySuccess(DEV, "spark", [spark("b", "running")], T0);
    await store.applySuccess(DEV, "spark", [spark("b", "running")], T0 + 10 * MIN);
    await store.applyFailure(PROD, "spark", T0 + 10 * MIN);
    const text = bodyOf(store);
    expect(text).not.toMatch(/target="prod".*job_id="a"/);
    expect(text).toMatch(/target="prod".*job_id="1"/);
    expect(text).toMatch(/target="dev".*job_id="b"/);
  });

  it("a failure before any complete poll serves nothing", async () => {
    const { store } = newStore();
    await store.applyFailure(PROD, "flink", T0);
    expect(bodyOf(store)).toBe("");
  });
});

describe("max_series_per_source", () => {
  // Each running spark job: info 1 + state 5 + duration + created + updated = 9 series.
  const PER_JOB = 9;

  it("drops per-job series of the oldest-finished jobs first, running ones last, and counts them", async () => {
    const { store, observer } = newStore({ maxSeriesPerSource: 3 * PER_JOB });
    const jobs = [
      spark("old-done", "success", { updatedMs: T0 - 30 * MIN }),
      spark("new-done", "dead", { updatedMs: T0 - 2 * MIN }),
      spark("mid-done", "success", { updatedMs: T0 - 10 * MIN }),
      spark("run1", "running", { createdMs: T0 - 50 * MIN }),
      spark("run2", "running", { createdMs: T0 - 5 * MIN }),
    ];
    await store.applySuccess(PROD, "spark", jobs, T0);
    const text = bodyOf(store);
    const served = new Set(
      parseExposition(text)
        .flatMap((f) => f.samples)
        .map((s) => s.labels.job_id)
        .filter((id) => id !== undefined),
    );
    expect(served).toEqual(new Set(["run1", "run2", "new-done"]));
    expect(observer.dropped).toEqual([["prod", "spark", 2 * PER_JOB]]);
    // Aggregates stay complete.
    expect(value(text, "huaweicloud_dli_spark_jobs", { queue: "etl", state: "success" })).toBe(2);
    expect(value(text, "huaweicloud_dli_spark_jobs", { queue: "etl", state: "running" })).toBe(2);
    // Counted per complete poll: a second poll adds the same amount again.
    await store.applySuccess(PROD, "spark", jobs, T0 + MIN);
    expect(observer.dropped.at(-1)).toEqual(["prod", "spark", 2 * PER_JOB]);
  });

  it("under the limit nothing is dropped and 0 is reported", async () => {
    const { store, observer } = newStore({ maxSeriesPerSource: PER_JOB });
    await store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
    expect(bodyOf(store)).toContain('job_id="a"');
    expect(observer.dropped).toEqual([["prod", "spark", 0]]);
  });

  it("guards each target and source on its own", async () => {
    const { store, observer } = newStore({ maxSeriesPerSource: PER_JOB });
    await store.applySuccess(
      PROD,
      "spark",
      [spark("a", "running"), spark("b", "running", { createdMs: T0 })],
      T0,
    );
    await store.applySuccess(DEV, "spark", [spark("c", "running")], T0);
    const text = bodyOf(store);
    expect(text).toContain('job_id="b"');
    expect(text).not.toContain('job_id="a"');
    expect(text).toContain('job_id="c"');
    expect(observer.dropped).toEqual([
      ["prod", "spark", PER_JOB],
      ["dev", "spark", 0],
    ]);
  });
});

describe("targets and rendering", () => {
  it("two targets feeding the same families: HELP and TYPE once, every series labelled with its target", async () => {
    const { store } = newStore();
    for (const t of [PROD, DEV]) {
      await store.applySuccess(t, "spark", [spark("a", "running")], T0);
      await store.applySuccess(t, "flink", [flink("1", "job_running")], T0);
      await store.applySuccess(t, "dataarts", [dataarts("daily", "scheduling")], T0);
    }
    const text = bodyOf(store);
    const helps = [...text.matchAll(/^# HELP (\S+)/gm)].map((m) => m[1]);
    expect(new Set(helps).size).toBe(helps.length);
    for (const family of parseExposition(text)) {
      const targets = new Set(family.samples.map((s) => s.labels.target));
      expect(targets).toEqual(new Set(["prod", "dev"]));
      for (const s of family.samples) {
        expect(Object.keys(s.labels).slice(0, 3)).toEqual(["target", "region", "project_id"]);
      }
    }
  });

  it("removeTarget drops every series of that target, counters included", async () => {
    const { store } = newStore();
    await store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
    await store.applySuccess(DEV, "spark", [spark("a", "running")], T0);
    await store.removeTarget("prod");
    const text = bodyOf(store);
    expect(text).not.toContain('target="prod"');
    expect(text).toContain('target="dev"');
    expect(store.targetNames()).toEqual(["dev"]);
  });

  it("a re-added target starts from a new baseline", async () => {
    const { store } = newStore();
    await store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
    await store.removeTarget("prod");
    await store.applySuccess(PROD, "spark", [spark("a", "success")], T0 + MIN);
    expect(
      value(bodyOf(store), "huaweicloud_dli_spark_jobs_finished_total", { queue: "etl", state: "success" }),
    ).toBe(0);
  });

  it("serves one publication until something changes", async () => {
    const { store } = newStore();
    await store.applySuccess(PROD, "flink", [flink("1", "job_running")], T0);
    const first = store.writer.current();
    const text = bodyOf(store);
    expect(store.writer.current()).toBe(first);
    await store.applySuccess(PROD, "flink", [flink("1", "job_idle")], T0 + MIN);
    expect(store.writer.current()).not.toBe(first);
    expect(bodyOf(store)).not.toBe(text);
    expect(bodyOf(store)).toContain('status="job_idle"');
  });

  it("a job listed twice in one poll is served once", async () => {
    const { store, observer } = newStore();
    await store.applySuccess(PROD, "flink", [flink("1", "job_running"), flink("1", "job_running")], T0);
    expect(() => parseExposition(bodyOf(store))).not.toThrow();
    expect(observer.held.get("prod/flink")).toBe(1);
  });

  it("two jobs whose identities are equal after the 128-character cut are served as one, never as duplicate series", async () => {
    const { store } = newStore();
    const base = "n".repeat(128);
    await store.applySuccess(
      PROD,
      "dataarts",
      [dataarts(`${base}-a`, "scheduling"), dataarts(`${base}-b`, "paused")],
      T0,
    );
    await store.applySuccess(
      PROD,
      "dataarts",
      [dataarts(`${base}-a`, "scheduling"), dataarts(`${base}-b`, "paused")],
      T0 + MIN,
    );
    await store.applySuccess(
      PROD,
      "spark",
      [spark(`${base}-1`, "running"), spark(`${base}-2`, "running")],
      T0,
    );
    const families = parseExposition(bodyOf(store));
    const info = families.find((f) => f.name === "huaweicloud_dataarts_job_info");
    expect(info?.samples).toHaveLength(1);
    expect(families.find((f) => f.name === "huaweicloud_dli_spark_job_info")?.samples).toHaveLength(1);
  });

  it("jobs are ordered by identity, whatever order the API listed them in", async () => {
    const a = newStore().store;
    const b = newStore().store;
    const jobs = [flink("3", "job_running"), flink("1", "job_idle"), flink("2", "job_init")];
    await a.applySuccess(PROD, "flink", jobs, T0);
    await b.applySuccess(PROD, "flink", [...jobs].reverse(), T0);
    expect(bodyOf(a)).toBe(bodyOf(b));
  });

  it("old finished spark jobs are remembered past the listing, so a late reappearance is not a second finish", async () => {
    const { store } = newStore({ staleAfterMs: HOUR });
    await store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
    await store.applySuccess(PROD, "spark", [spark("a", "success")], T0 + MIN);
    await store.applySuccess(PROD, "spark", [], T0 + 2 * MIN);
    await store.applySuccess(PROD, "spark", [spark("a", "success")], T0 + 3 * MIN);
    expect(
      value(bodyOf(store), "huaweicloud_dli_spark_jobs_finished_total", { queue: "etl", state: "success" }),
    ).toBe(1);
  });
});

describe("failedJobs: the landing page's read of the last complete snapshots", () => {
  it("lists each source's failed jobs by its rule, most recent first, at most the limit, with the total", async () => {
    const { store } = newStore();
    await store.applySuccess(
      PROD,
      "spark",
      [
        spark("a", "dead", { updatedMs: T0 - 3 * MIN }),
        spark("b", "dead", { updatedMs: T0 - MIN }),
        spark("c", "dead", { updatedMs: T0 - 2 * MIN }),
        spark("d", "success"),
        spark("e", "running"),
      ],
      T0,
    );
    await store.applySuccess(PROD, "flink", [flink("1", "job_submit_fail"), flink("2", "job_running")], T0);
    await store.applySuccess(
      PROD,
      "dataarts",
      [
        dataarts("rt", "exception", { jobType: "REAL_TIME", lastInstanceStatus: "" }),
        dataarts("rt-ok", "normal", { jobType: "REAL_TIME", lastInstanceStatus: "" }),
        dataarts("batch", "scheduling", { lastInstanceStatus: "fail" }),
        dataarts("batch-ok", "scheduling"),
      ],
      T0,
    );
    await store.applySuccess(DEV, "spark", [spark("x", "success")], T0);

    expect(store.failedJobs(2)).toEqual([
      {
        target: PROD.name,
        source: "spark",
        total: 3,
        jobs: [
          { name: "job-b", state: "dead", atMs: T0 - MIN },
          { name: "job-c", state: "dead", atMs: T0 - 2 * MIN },
        ],
      },
      {
        target: PROD.name,
        source: "flink",
        total: 1,
        jobs: [{ name: "stream-1", state: "job_submit_fail", atMs: T0 - 2 * HOUR }],
      },
      {
        target: PROD.name,
        source: "dataarts",
        total: 2,
        jobs: [
          { name: "batch", state: "last instance fail", atMs: T0 - 5 * MIN },
          { name: "rt", state: "exception", atMs: undefined },
        ],
      },
    ]);
  });

  it("is empty before the first complete poll", async () => {
    const { store } = newStore();
    await store.applyFailure(PROD, "spark", T0);
    expect(store.failedJobs(5)).toEqual([]);
  });
});
