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
  it("a failing source keeps its last complete data until stale_after, then per-job series and snapshot gauges go, counters stay", () => {
    const { store, observer } = newStore();
    store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
    store.applySuccess(PROD, "spark", [spark("a", "success", { updatedMs: T0 + MIN })], T0 + MIN);
    const served = store.render();
    expect(value(served, "huaweicloud_dli_spark_job_state", { ...JOB_A, state: "success" })).toBe(1);

    store.applyFailure(PROD, "spark", T0 + 3 * MIN);
    store.applyFailure(PROD, "spark", T0 + 6 * MIN); // exactly stale_after: still served
    expect(store.render()).toBe(served);
    expect(observer.held.get("prod/spark")).toBe(1);

    store.applyFailure(PROD, "spark", T0 + 6 * MIN + 1);
    const stale = store.render();
    expect(familiesOf(stale)).toEqual([
      "huaweicloud_dli_spark_jobs_finished_total",
      "huaweicloud_dli_spark_job_run_duration_seconds",
    ]);
    expect(
      value(stale, "huaweicloud_dli_spark_jobs_finished_total", { queue: "etl", state: "success" }),
    ).toBe(1);
    expect(observer.held.get("prod/spark")).toBe(0);
    expect(store.jobsHeld("prod", "spark")).toBe(0);

    // Recovery serves again and counts nothing twice.
    store.applySuccess(PROD, "spark", [spark("a", "success", { updatedMs: T0 + MIN })], T0 + 10 * MIN);
    const back = store.render();
    expect(value(back, "huaweicloud_dli_spark_job_state", { ...JOB_A, state: "success" })).toBe(1);
    expect(value(back, "huaweicloud_dli_spark_jobs_finished_total", { queue: "etl", state: "success" })).toBe(
      1,
    );
  });

  it("staleness of one source leaves the other sources and targets alone", () => {
    const { store } = newStore();
    store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
    store.applySuccess(PROD, "flink", [flink("1", "job_running")], T0);
    store.applySuccess(DEV, "spark", [spark("b", "running")], T0);
    store.applySuccess(DEV, "spark", [spark("b", "running")], T0 + 10 * MIN);
    store.applyFailure(PROD, "spark", T0 + 10 * MIN);
    const text = store.render();
    expect(text).not.toMatch(/target="prod".*job_id="a"/);
    expect(text).toMatch(/target="prod".*job_id="1"/);
    expect(text).toMatch(/target="dev".*job_id="b"/);
  });

  it("a failure before any complete poll serves nothing", () => {
    const { store } = newStore();
    store.applyFailure(PROD, "flink", T0);
    expect(store.render()).toBe("");
  });
});

describe("max_series_per_source", () => {
  // Each running spark job: info 1 + state 5 + duration + created + updated = 9 series.
  const PER_JOB = 9;

  it("drops per-job series of the oldest-finished jobs first, running ones last, and counts them", () => {
    const { store, observer } = newStore({ maxSeriesPerSource: 3 * PER_JOB });
    const jobs = [
      spark("old-done", "success", { updatedMs: T0 - 30 * MIN }),
      spark("new-done", "dead", { updatedMs: T0 - 2 * MIN }),
      spark("mid-done", "success", { updatedMs: T0 - 10 * MIN }),
      spark("run1", "running", { createdMs: T0 - 50 * MIN }),
      spark("run2", "running", { createdMs: T0 - 5 * MIN }),
    ];
    store.applySuccess(PROD, "spark", jobs, T0);
    const text = store.render();
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
    store.applySuccess(PROD, "spark", jobs, T0 + MIN);
    expect(observer.dropped.at(-1)).toEqual(["prod", "spark", 2 * PER_JOB]);
  });

  it("under the limit nothing is dropped and 0 is reported", () => {
    const { store, observer } = newStore({ maxSeriesPerSource: PER_JOB });
    store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
    expect(store.render()).toContain('job_id="a"');
    expect(observer.dropped).toEqual([["prod", "spark", 0]]);
  });

  it("guards each target and source on its own", () => {
    const { store, observer } = newStore({ maxSeriesPerSource: PER_JOB });
    store.applySuccess(PROD, "spark", [spark("a", "running"), spark("b", "running", { createdMs: T0 })], T0);
    store.applySuccess(DEV, "spark", [spark("c", "running")], T0);
    const text = store.render();
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
  it("two targets feeding the same families: HELP and TYPE once, every series labelled with its target", () => {
    const { store } = newStore();
    for (const t of [PROD, DEV]) {
      store.applySuccess(t, "spark", [spark("a", "running")], T0);
      store.applySuccess(t, "flink", [flink("1", "job_running")], T0);
      store.applySuccess(t, "dataarts", [dataarts("daily", "scheduling")], T0);
    }
    const text = store.render();
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

  it("removeTarget drops every series of that target, counters included", () => {
    const { store } = newStore();
    store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
    store.applySuccess(DEV, "spark", [spark("a", "running")], T0);
    store.removeTarget("prod");
    const text = store.render();
    expect(text).not.toContain('target="prod"');
    expect(text).toContain('target="dev"');
    expect(store.targetNames()).toEqual(["dev"]);
  });

  it("a re-added target starts from a new baseline", () => {
    const { store } = newStore();
    store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
    store.removeTarget("prod");
    store.applySuccess(PROD, "spark", [spark("a", "success")], T0 + MIN);
    expect(
      value(store.render(), "huaweicloud_dli_spark_jobs_finished_total", { queue: "etl", state: "success" }),
    ).toBe(0);
  });

  it("caches the body until something changes; the Buffer is the same text", () => {
    const { store } = newStore();
    store.applySuccess(PROD, "flink", [flink("1", "job_running")], T0);
    const first = store.render();
    expect(store.render()).toBe(first);
    expect(store.renderBuffer()).toBe(store.renderBuffer());
    expect(store.renderBuffer().toString("utf8")).toBe(first);
    store.applySuccess(PROD, "flink", [flink("1", "job_idle")], T0 + MIN);
    expect(store.render()).not.toBe(first);
    expect(store.renderBuffer().toString("utf8")).toBe(store.render());
  });

  it("a job listed twice in one poll is served once", () => {
    const { store, observer } = newStore();
    store.applySuccess(PROD, "flink", [flink("1", "job_running"), flink("1", "job_running")], T0);
    expect(() => parseExposition(store.render())).not.toThrow();
    expect(observer.held.get("prod/flink")).toBe(1);
  });

  it("two jobs whose identities are equal after the 128-character cut are served as one, never as duplicate series", () => {
    const { store } = newStore();
    const base = "n".repeat(128);
    store.applySuccess(
      PROD,
      "dataarts",
      [dataarts(`${base}-a`, "scheduling"), dataarts(`${base}-b`, "paused")],
      T0,
    );
    store.applySuccess(
      PROD,
      "dataarts",
      [dataarts(`${base}-a`, "scheduling"), dataarts(`${base}-b`, "paused")],
      T0 + MIN,
    );
    store.applySuccess(PROD, "spark", [spark(`${base}-1`, "running"), spark(`${base}-2`, "running")], T0);
    const families = parseExposition(store.render());
    const info = families.find((f) => f.name === "huaweicloud_dataarts_job_info");
    expect(info?.samples).toHaveLength(1);
    expect(families.find((f) => f.name === "huaweicloud_dli_spark_job_info")?.samples).toHaveLength(1);
  });

  it("jobs are ordered by identity, whatever order the API listed them in", () => {
    const a = newStore().store;
    const b = newStore().store;
    const jobs = [flink("3", "job_running"), flink("1", "job_idle"), flink("2", "job_init")];
    a.applySuccess(PROD, "flink", jobs, T0);
    b.applySuccess(PROD, "flink", [...jobs].reverse(), T0);
    expect(a.render()).toBe(b.render());
  });

  it("old finished spark jobs are remembered past the listing, so a late reappearance is not a second finish", () => {
    const { store } = newStore({ staleAfterMs: HOUR });
    store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
    store.applySuccess(PROD, "spark", [spark("a", "success")], T0 + MIN);
    store.applySuccess(PROD, "spark", [], T0 + 2 * MIN);
    store.applySuccess(PROD, "spark", [spark("a", "success")], T0 + 3 * MIN);
    expect(
      value(store.render(), "huaweicloud_dli_spark_jobs_finished_total", { queue: "etl", state: "success" }),
    ).toBe(1);
  });
});
