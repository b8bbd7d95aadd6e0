// The counter baseline across a restart of the exporter process. A counts what finishes while
// it runs; jobs that finish while no exporter runs are history for B: B's first poll is a new
// baseline (every counter series at 0, no burst of old finishes), and B then counts exactly the
// finishes it sees happen.

import { afterEach, expect, it } from "vitest";
import type { Simulator } from "../../src/simulator/index.js";
import { parseExposition } from "../helpers/exposition-parser.js";
import {
  cleanUp,
  eventually,
  httpGet,
  nextPollSeesChanges,
  type ServingExporter,
  simulatorConfig,
  startServing,
  startTestSimulator,
  writeTempFile,
} from "../helpers/process.js";

afterEach(cleanUp);

const SOURCES = ["spark", "flink", "dataarts"] as const;
const HOUR = 3_600_000;

const COUNTERS = {
  spark: "huaweicloud_dli_spark_jobs_finished_total",
  sparkRuns: "huaweicloud_dli_spark_job_run_duration_seconds_count",
  flink: "huaweicloud_dli_flink_job_status_changes_total",
  dataarts: "huaweicloud_dataarts_job_instances_finished_total",
} as const;

type Series = Array<{ labels: Record<string, string>; value: number }>;

/** Every sample of each counter, from the exporter's /metrics over HTTP. */
async function counters(url: string): Promise<Record<keyof typeof COUNTERS, Series>> {
  const { body } = await httpGet(`${url}/metrics`);
  const families = parseExposition(body, { allowEmptyLines: true });
  const samplesOf = (name: string): Series =>
    families
      .flatMap((f) => f.samples)
      .filter((s) => s.name === name)
      .map((s) => ({ labels: s.labels, value: s.value }));
  return {
    spark: samplesOf(COUNTERS.spark),
    sparkRuns: samplesOf(COUNTERS.sparkRuns),
    flink: samplesOf(COUNTERS.flink),
    dataarts: samplesOf(COUNTERS.dataarts),
  };
}

/** The non-zero series, as `label=value,...: value` lines (zero series only prove they exist). */
function counted(series: Series, keys: string[]): string[] {
  return series
    .filter((s) => s.value !== 0)
    .map((s) => `${keys.map((k) => `${k}=${s.labels[k]}`).join(",")}: ${s.value}`)
    .sort();
}

async function startExporterOn(s: Simulator): Promise<ServingExporter> {
  const config = writeTempFile(
    simulatorConfig(s, { poll: { schedule: "* * * * * *", request_timeout: "2s" } }),
  );
  const serving = await startServing(["--config", config]);
  await eventually(
    async () => ((await httpGet(`${serving.url}/readyz`)).status === 200 ? true : undefined),
    "the first poll of every source",
  );
  return serving;
}

function buildWorld(s: Simulator): void {
  const t = s.now();
  const spark = (id: string, state: string) =>
    s.spark.upsert({
      id,
      name: `spark-${id.slice(0, 1)}`,
      state,
      queue: "q",
      create_time: t - HOUR,
      update_time: t - HOUR / 2,
      duration: state === "running" ? 0 : HOUR / 2,
    });
  spark("11111111-1111-4111-8111-111111111111", "success");
  spark("22222222-2222-4222-8222-222222222222", "dead");
  spark("33333333-3333-4333-8333-333333333333", "running");
  spark("44444444-4444-4444-8444-444444444444", "running");
  spark("55555555-5555-4555-8555-555555555555", "running");
  for (const [jobId, status] of [
    [1, "job_finish"],
    [2, "job_running"],
    [3, "job_running"],
    [4, "job_running"],
  ] as const) {
    s.flink.upsert({ job_id: jobId, name: `flink-${jobId}`, status, queue_name: "q", create_time: t - HOUR });
  }
  for (const name of ["d1", "d2", "d3"]) {
    s.dataarts.upsert("", {
      name,
      jobType: "BATCH",
      status: "SCHEDULING",
      lastInstanceStatus: "success",
      lastInstanceEndTime: t - HOUR,
    });
  }
}

/** One Spark job finishes, one Flink job changes status, one DataArts instance ends. */
function finishOne(
  s: Simulator,
  spark: { id: string; state: string },
  flink: { jobId: number; status: string },
  dataarts: { name: string; status: string; endOffsetMs: number },
): void {
  const t = s.now();
  s.spark.update(spark.id, { state: spark.state, update_time: t, duration: HOUR });
  s.flink.update(flink.jobId, { status: flink.status });
  s.dataarts.update("", dataarts.name, {
    lastInstanceStatus: dataarts.status,
    lastInstanceEndTime: t + dataarts.endOffsetMs,
  });
}

it("a restarted exporter starts a new baseline and then counts exactly what it sees finish", async () => {
  const s = await startTestSimulator({ empty: true, churn: false });
  buildWorld(s);

  // A: the jobs already finished are its baseline.
  const a = await startExporterOn(s);
  let c = await counters(a.url);
  expect(c.spark.length).toBeGreaterThan(0);
  expect(c.flink.length).toBeGreaterThan(0);
  expect(c.dataarts.length).toBeGreaterThan(0);
  expect(counted(c.spark, ["state"])).toEqual([]);
  expect(counted(c.flink, ["status"])).toEqual([]);
  expect(counted(c.dataarts, ["job_name", "status"])).toEqual([]);

  finishOne(
    s,
    { id: "33333333-3333-4333-8333-333333333333", state: "success" },
    { jobId: 2, status: "job_cancel_success" },
    { name: "d1", status: "success", endOffsetMs: 1000 },
  );
  await nextPollSeesChanges(a.proc, SOURCES);
  c = await counters(a.url);
  expect(counted(c.spark, ["state"])).toEqual(["state=success: 1"]);
  expect(counted(c.sparkRuns, ["state"])).toEqual(["state=success: 1"]);
  expect(counted(c.flink, ["status"])).toEqual(["status=job_cancel_success: 1"]);
  expect(counted(c.dataarts, ["job_name", "status"])).toEqual(["job_name=d1,status=success: 1"]);
  expect(await a.proc.stop("SIGTERM")).toEqual({ code: 0, signal: null });

  // While no exporter runs: more finishes, a job created and finished, a new Flink job.
  finishOne(
    s,
    { id: "44444444-4444-4444-8444-444444444444", state: "dead" },
    { jobId: 3, status: "job_running_exception" },
    { name: "d2", status: "fail", endOffsetMs: 2000 },
  );
  s.spark.upsert({
    id: "66666666-6666-4666-8666-666666666666",
    state: "success",
    queue: "q",
    create_time: s.now() - 60_000,
    update_time: s.now(),
    duration: 50_000,
  });
  s.flink.upsert({ job_id: 5, status: "job_running", queue_name: "q", create_time: s.now() });

  // B: everything finished so far is history.
  const b = await startExporterOn(s);
  c = await counters(b.url);
  expect(c.spark.map((x) => x.labels.state).sort()).toEqual(["dead", "success"]);
  expect(counted(c.spark, ["state"])).toEqual([]);
  expect(counted(c.sparkRuns, ["state"])).toEqual([]);
  expect(counted(c.flink, ["status"])).toEqual([]);
  expect(c.flink.length).toBe(14);
  expect(counted(c.dataarts, ["job_name", "status"])).toEqual([]);
  expect(c.dataarts.filter((x) => x.labels.job_name === "d2").length).toBeGreaterThan(0);

  finishOne(
    s,
    { id: "55555555-5555-4555-8555-555555555555", state: "success" },
    { jobId: 4, status: "job_finish" },
    { name: "d3", status: "fail", endOffsetMs: 3000 },
  );
  await nextPollSeesChanges(b.proc, SOURCES);
  c = await counters(b.url);
  expect(counted(c.spark, ["state"])).toEqual(["state=success: 1"]);
  expect(counted(c.sparkRuns, ["state"])).toEqual(["state=success: 1"]);
  expect(counted(c.flink, ["status"])).toEqual(["status=job_finish: 1"]);
  expect(counted(c.dataarts, ["job_name", "status"])).toEqual(["job_name=d3,status=fail: 1"]);
});
