// The exporter against the simulator over real HTTP: what a user sees on /metrics after a poll,
// job by job, for every family of the metrics contract.

import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/simulator/index.js";
import { type Harness, samples, sampleValue, startHarness } from "../helpers/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const HOUR = 3_600_000;

/** Builds a world of exactly these jobs, then starts the exporter on it. */
async function worldOfKnownJobs(): Promise<Harness> {
  return startHarness({
    simulator: { empty: true, workspaces: ["ws1"], churn: false },
    target: { dataarts: { workspaces: ["ws1"] } },
    beforeStart: addKnownJobs,
  });
}

function addKnownJobs(sim: Simulator): void {
  const now = sim.now();
  sim.spark.upsert({
    id: "11111111-1111-4111-8111-111111111111",
    name: "nightly-etl",
    state: "running",
    queue: "q-batch",
    cluster_name: "q-batch",
    owner: "alice",
    proxyUser: "svc",
    kind: "spark",
    sc_type: "A",
    appId: "application_1_0001",
    create_time: now - HOUR,
    update_time: now - 60_000,
    duration: 3_000_000,
    feature: "basic",
    spark_version: "3.3.1",
  });
  sim.spark.upsert({
    id: "22222222-2222-4222-8222-222222222222",
    name: "old-report",
    state: "dead",
    queue: "",
    cluster_name: "q-legacy",
    create_time: now - 2 * HOUR,
    update_time: now - 30 * 60_000,
    duration: 600_000,
  });
  sim.flink.upsert({
    job_id: 42,
    name: "clickstream",
    status: "job_running",
    queue_name: "q-stream",
    job_type: "flink_opensource_sql_job",
    user_name: "bob",
    create_time: now - 48 * HOUR,
    start_time: now - 24 * HOUR,
    duration: 24 * HOUR,
    restart_times: 3,
  });
  sim.flink.upsert({
    job_id: 43,
    name: "draft",
    status: "job_init",
    queue_name: "q-stream",
    create_time: now - HOUR,
    start_time: 0,
    duration: 0,
    restart_times: 0,
  });
  sim.dataarts.upsert("ws1", {
    name: "daily-load",
    jobType: "BATCH",
    status: "SCHEDULING",
    owner: "carol",
    path: "/etl",
    priority: 1,
    lastInstanceStatus: "success",
    lastInstanceEndTime: now - 2 * HOUR,
  });
  sim.dataarts.upsert("ws1", {
    name: "cdc-sync",
    jobType: "REAL_TIME",
    status: "EXCEPTION",
    owner: "dave",
    path: "/rt",
    priority: 0,
  });
}

describe("one poll against the simulator", () => {
  it("serves every job of every source with the contract's labels and values", async () => {
    h = await worldOfKnownJobs();
    const f = await h.families();
    const base = { target: "it", region: "cn-north-4", project_id: h.sim.projectId };
    const spark = { ...base, job_id: "11111111-1111-4111-8111-111111111111" };

    const info = samples(f, "huaweicloud_dli_spark_job_info", spark);
    expect(info).toHaveLength(1);
    expect(info[0]?.labels).toEqual({
      ...spark,
      queue: "q-batch",
      job_name: "nightly-etl",
      owner: "alice",
      proxy_user: "svc",
      kind: "spark",
      sc_type: "A",
      app_id: "application_1_0001",
      spark_version: "3.3.1",
      feature: "basic",
    });
    expect(sampleValue(f, "huaweicloud_dli_spark_job_state", { ...spark, state: "running" })).toBe(1);
    expect(sampleValue(f, "huaweicloud_dli_spark_job_state", { ...spark, state: "success" })).toBe(0);
    expect(sampleValue(f, "huaweicloud_dli_spark_job_duration_seconds", spark)).toBe(3000);
    const created = h.sim.spark.get(spark.job_id)?.create_time as number;
    expect(sampleValue(f, "huaweicloud_dli_spark_job_created_timestamp_seconds", spark)).toBe(created / 1000);
    // queue falls back to cluster_name where queue is empty
    expect(
      sampleValue(f, "huaweicloud_dli_spark_job_state", {
        ...base,
        job_id: "22222222-2222-4222-8222-222222222222",
        queue: "q-legacy",
        state: "dead",
      }),
    ).toBe(1);
    expect(
      sampleValue(f, "huaweicloud_dli_spark_jobs", { ...base, queue: "q-batch", state: "running" }),
    ).toBe(1);
    expect(sampleValue(f, "huaweicloud_dli_spark_jobs", { ...base, queue: "q-batch", state: "dead" })).toBe(
      0,
    );
    // Baseline: the job already dead at the first poll is not counted as finished.
    expect(
      sampleValue(f, "huaweicloud_dli_spark_jobs_finished_total", {
        ...base,
        queue: "q-legacy",
        state: "dead",
      }),
    ).toBe(0);

    const flink = { ...base, job_id: "42", queue: "q-stream", job_name: "clickstream" };
    expect(sampleValue(f, "huaweicloud_dli_flink_job_status", { ...flink, status: "job_running" })).toBe(1);
    expect(samples(f, "huaweicloud_dli_flink_job_status", flink)).toHaveLength(14);
    expect(sampleValue(f, "huaweicloud_dli_flink_job_restarts_total", flink)).toBe(3);
    expect(sampleValue(f, "huaweicloud_dli_flink_job_duration_seconds", flink)).toBe(24 * 3600);
    expect(samples(f, "huaweicloud_dli_flink_job_info", flink)[0]?.labels).toMatchObject({
      job_type: "flink_opensource_sql_job",
      user_name: "bob",
    });
    // absent while start_time is 0
    expect(
      samples(f, "huaweicloud_dli_flink_job_start_timestamp_seconds", { ...base, job_id: "43" }),
    ).toHaveLength(0);
    expect(samples(f, "huaweicloud_dli_flink_job_start_timestamp_seconds", flink)).toHaveLength(1);
    expect(
      sampleValue(f, "huaweicloud_dli_flink_jobs", { ...base, queue: "q-stream", status: "job_init" }),
    ).toBe(1);
    expect(
      sampleValue(f, "huaweicloud_dli_flink_jobs", { ...base, queue: "q-stream", status: "job_finish" }),
    ).toBe(0);

    const batch = { ...base, workspace: "ws1", job_name: "daily-load", job_type: "BATCH" };
    expect(samples(f, "huaweicloud_dataarts_job_info", batch)[0]?.labels).toMatchObject({
      owner: "carol",
      path: "/etl",
      priority: "1",
    });
    expect(sampleValue(f, "huaweicloud_dataarts_job_status", { ...batch, status: "scheduling" })).toBe(1);
    expect(
      sampleValue(f, "huaweicloud_dataarts_job_last_instance_status", { ...batch, status: "success" }),
    ).toBe(1);
    expect(samples(f, "huaweicloud_dataarts_job_last_instance_status", batch)).toHaveLength(9);
    const rt = { ...base, workspace: "ws1", job_name: "cdc-sync", job_type: "REAL_TIME" };
    expect(sampleValue(f, "huaweicloud_dataarts_job_status", { ...rt, status: "exception" })).toBe(1);
    expect(samples(f, "huaweicloud_dataarts_job_status", rt)).toHaveLength(5);
    expect(samples(f, "huaweicloud_dataarts_job_last_instance_status", rt)).toHaveLength(0);
    expect(
      sampleValue(f, "huaweicloud_dataarts_jobs", {
        ...base,
        workspace: "ws1",
        job_type: "REAL_TIME",
        status: "exception",
      }),
    ).toBe(1);

    for (const source of ["spark", "flink", "dataarts"]) {
      expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: "it", source })).toBe(1);
    }
    expect(sampleValue(f, "huaweicloud_job_exporter_jobs", { target: "it", source: "spark" })).toBe(2);
    expect(sampleValue(f, "huaweicloud_job_exporter_jobs", { target: "it", source: "flink" })).toBe(2);
    expect(sampleValue(f, "huaweicloud_job_exporter_jobs", { target: "it", source: "dataarts" })).toBe(2);
  });

  it("counts a finish once, observes its duration, and counts state changes and new instances", async () => {
    h = await worldOfKnownJobs();
    const { sim } = h;
    const base = { target: "it", region: "cn-north-4", project_id: sim.projectId };
    const now = sim.now();
    sim.spark.update("11111111-1111-4111-8111-111111111111", {
      state: "success",
      duration: 3_600_000,
      update_time: now,
    });
    sim.flink.update(42, { status: "job_running_exception", restart_times: 4 });
    sim.dataarts.update("ws1", "daily-load", { lastInstanceStatus: "fail", lastInstanceEndTime: now });
    await h.pollAll();
    await h.pollAll(); // a second poll of the same world counts nothing more
    const f = await h.families();

    const q = { ...base, queue: "q-batch", state: "success" };
    expect(sampleValue(f, "huaweicloud_dli_spark_jobs_finished_total", q)).toBe(1);
    expect(sampleValue(f, "huaweicloud_dli_spark_job_run_duration_seconds_count", q)).toBe(1);
    expect(sampleValue(f, "huaweicloud_dli_spark_job_run_duration_seconds_sum", q)).toBe(3600);
    expect(
      sampleValue(f, "huaweicloud_dli_spark_job_run_duration_seconds_bucket", { ...q, le: "3600" }),
    ).toBe(1);
    expect(
      sampleValue(f, "huaweicloud_dli_spark_job_run_duration_seconds_bucket", { ...q, le: "1800" }),
    ).toBe(0);

    expect(
      sampleValue(f, "huaweicloud_dli_flink_job_status_changes_total", {
        ...base,
        queue: "q-stream",
        status: "job_running_exception",
      }),
    ).toBe(1);
    expect(sampleValue(f, "huaweicloud_dli_flink_job_restarts_total", { ...base, job_id: "42" })).toBe(4);
    expect(
      sampleValue(f, "huaweicloud_dataarts_job_instances_finished_total", {
        ...base,
        workspace: "ws1",
        job_name: "daily-load",
        job_type: "BATCH",
        status: "fail",
      }),
    ).toBe(1);
    expect(
      sampleValue(f, "huaweicloud_dataarts_job_last_instance_end_timestamp_seconds", {
        ...base,
        job_name: "daily-load",
      }),
    ).toBe(now / 1000);
  });

  it("pages through thousands of jobs in every source and serves each exactly once", async () => {
    h = await startHarness({
      simulator: { jobs: { spark: 450, flink: 330, dataarts: { BATCH: 210, REAL_TIME: 120 } }, churn: false },
      config: () => ({ poll: { schedule: "0 0 0 1 1 *", page_size: 50, concurrency: 4 } }),
    });
    const f = await h.families();
    const sparkIds = new Set(samples(f, "huaweicloud_dli_spark_job_state").map((s) => s.labels.job_id));
    const listedSpark = h.sim.spark.list();
    // Every job the lookback or a non-terminal state reaches, and only those, is served.
    expect(sampleValue(f, "huaweicloud_job_exporter_jobs", { source: "spark" })).toBe(listedSpark.length);
    expect(sparkIds.size).toBeGreaterThan(0);
    const flinkIds = new Set(samples(f, "huaweicloud_dli_flink_job_info").map((s) => s.labels.job_id));
    expect(flinkIds).toEqual(new Set(h.sim.flink.list().map((j) => String(j.job_id))));
    const dataarts = samples(f, "huaweicloud_dataarts_job_info").map(
      (s) => `${s.labels.job_type}/${s.labels.job_name}`,
    );
    expect(new Set(dataarts)).toEqual(new Set(h.sim.dataarts.list("").map((j) => `${j.jobType}/${j.name}`)));
    expect(dataarts).toHaveLength(330);
  });
});
