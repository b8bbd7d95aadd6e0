// Pipelines against the simulator over real HTTP: what a user reads on /metrics as the runs of
// one Spark job name, and the instances of one DataArts BATCH job, succeed and fail.

import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/simulator/index.js";
import { type Harness, samples, sampleValue, startHarness } from "../helpers/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SPARK = "huaweicloud_dli_spark_pipeline_";

let runs = 0;
/** A finished (or running) Spark run of `name`, created `ago` before the simulator's now. */
function sparkRun(
  sim: Simulator,
  name: string,
  state: string,
  fields: { createdAgo: number; durationMs: number; updatedAgo?: number },
) {
  runs++;
  const id = `00000000-0000-4000-8000-${String(runs).padStart(12, "0")}`;
  const now = sim.now();
  return sim.spark.upsert({
    id,
    name,
    state,
    queue: "q",
    create_time: now - fields.createdAgo,
    update_time: now - (fields.updatedAgo ?? fields.createdAgo - fields.durationMs),
    duration: fields.durationMs,
  });
}

async function emptyWorld(config?: Record<string, unknown>): Promise<Harness> {
  return startHarness({
    simulator: { empty: true, workspaces: ["ws1"], churn: false },
    target: { dataarts: { workspaces: ["ws1"] }, flink: { enabled: false } },
    ...(config ? { config: () => config } : {}),
  });
}

describe("Spark pipelines: runs sharing a job name", () => {
  it("follows success, failure, failure, success with exact times, durations and streaks", async () => {
    h = await emptyWorld();
    const { sim } = h;
    const labels = { target: "it", job_name: "nightly-etl" };
    const steps = [
      { state: "success", streak: 0 },
      { state: "dead", streak: 1 },
      { state: "dead", streak: 2 },
      { state: "success", streak: 0 },
    ];
    const firstCreated = sim.now() - 10 * HOUR;
    let lastSuccess: number | undefined;
    let lastFailure: number | undefined;
    for (const [index, step] of steps.entries()) {
      const createdAgo = (10 - 2 * index) * HOUR;
      const durationMs = (index + 1) * 7 * MINUTE;
      const run = sparkRun(sim, "nightly-etl", step.state, { createdAgo, durationMs });
      if (step.state === "success") lastSuccess = run.update_time;
      else lastFailure = run.update_time;
      await h.pollAll();
      const f = await h.families();
      expect(sampleValue(f, `${SPARK}consecutive_failures`, labels), `after run ${index + 1}`).toBe(
        step.streak,
      );
      expect(sampleValue(f, `${SPARK}last_run_duration_seconds`, labels)).toBe(durationMs / 1000);
      expect(sampleValue(f, `${SPARK}last_success_timestamp_seconds`, labels)).toBe(
        lastSuccess === undefined ? undefined : lastSuccess / 1000,
      );
      expect(sampleValue(f, `${SPARK}last_failure_timestamp_seconds`, labels)).toBe(
        lastFailure === undefined ? undefined : lastFailure / 1000,
      );
      expect(sampleValue(f, `${SPARK}first_seen_timestamp_seconds`, labels)).toBe(firstCreated / 1000);
      expect(sampleValue(f, `${SPARK}runs_active`, labels)).toBe(0);
    }
    // The typical duration is the median of the successful runs: 7 and 28 minutes.
    const f = await h.families();
    expect(sampleValue(f, `${SPARK}typical_run_duration_seconds`, labels)).toBe(((7 + 28) / 2) * 60);
  });

  it("takes the median of the last 20 successes, counts active runs, and learns history at the baseline", async () => {
    h = await startHarness({
      simulator: { empty: true, churn: false },
      target: { flink: { enabled: false }, dataarts: { enabled: false } },
      // Runs listed at the first poll are the pipeline's history, though not counted as finished.
      beforeStart: (sim) => {
        for (let i = 0; i < 25; i++) {
          sparkRun(sim, "hourly", "success", { createdAgo: (25 - i) * HOUR - 1, durationMs: (i + 1) * 1000 });
        }
        sparkRun(sim, "hourly", "dead", { createdAgo: 30 * MINUTE, durationMs: 10 * MINUTE });
        sparkRun(sim, "hourly", "running", { createdAgo: 5 * MINUTE, durationMs: 5 * MINUTE, updatedAgo: 0 });
        sparkRun(sim, "", "success", { createdAgo: HOUR, durationMs: 1000 });
      },
    });
    const labels = { job_name: "hourly" };
    let f = await h.families();
    // Runs 6..25 s: (15 + 16) / 2. Only runs within the 24h lookback are listed: 23 of 25.
    const listed = h.sim.spark.list().filter((run) => run.name === "hourly" && run.state === "success");
    const durations = listed
      .map((run) => (run.duration as number) / 1000)
      .sort((a, b) => a - b)
      .slice(-20);
    expect(durations).toHaveLength(20);
    expect(sampleValue(f, `${SPARK}typical_run_duration_seconds`, labels)).toBe(
      ((durations[9] as number) + (durations[10] as number)) / 2,
    );
    expect(sampleValue(f, `${SPARK}consecutive_failures`, labels)).toBe(1);
    expect(sampleValue(f, `${SPARK}runs_active`, labels)).toBe(1);
    expect(
      sampleValue(f, "huaweicloud_dli_spark_jobs_finished_total", { queue: "q", state: "success" }),
    ).toBe(0);
    // Runs with no name form no pipeline.
    expect(samples(f, `${SPARK}first_seen_timestamp_seconds`).map((s) => s.labels.job_name)).toEqual([
      "hourly",
    ]);

    const running = h.sim.spark.list().find((run) => run.state === "running");
    h.sim.spark.update(running?.id as string, {
      state: "success",
      update_time: h.sim.now(),
      duration: 600_000,
    });
    await h.pollAll();
    f = await h.families();
    expect(sampleValue(f, `${SPARK}runs_active`, labels)).toBe(0);
    expect(sampleValue(f, `${SPARK}consecutive_failures`, labels)).toBe(0);
    expect(sampleValue(f, `${SPARK}last_success_timestamp_seconds`, labels)).toBe(h.sim.now() / 1000);
    expect(sampleValue(f, `${SPARK}last_run_duration_seconds`, labels)).toBe(600);
  });
});

describe("DataArts BATCH pipelines: a job's instances", () => {
  it("follows lastInstanceStatus and lastInstanceEndTime through status changes", async () => {
    let created = 0;
    let firstEnd = 0;
    h = await startHarness({
      simulator: { empty: true, workspaces: ["ws1"], churn: false },
      target: { dataarts: { workspaces: ["ws1"] }, flink: { enabled: false }, spark: { enabled: false } },
      beforeStart: (sim) => {
        created = sim.now() - 30 * 24 * HOUR;
        firstEnd = sim.now() - 20 * HOUR;
        sim.dataarts.upsert("ws1", {
          name: "daily-load",
          jobType: "BATCH",
          status: "SCHEDULING",
          createTime: created,
          lastInstanceStatus: "success",
          lastInstanceEndTime: firstEnd,
        });
        sim.dataarts.upsert("ws1", {
          name: "cdc",
          jobType: "REAL_TIME",
          status: "NORMAL",
          createTime: created,
        });
      },
    });
    const job = { workspace: "ws1", job_name: "daily-load", job_type: "BATCH" };
    const read = async () => {
      const f = await h?.families();
      if (f === undefined) throw new Error("no exporter");
      return {
        streak: sampleValue(f, "huaweicloud_dataarts_job_consecutive_failures", job),
        success: sampleValue(f, "huaweicloud_dataarts_job_last_success_timestamp_seconds", job),
        failure: sampleValue(f, "huaweicloud_dataarts_job_last_failure_timestamp_seconds", job),
        firstSeen: sampleValue(f, "huaweicloud_dataarts_job_first_seen_timestamp_seconds", job),
        realTime: samples(f, "huaweicloud_dataarts_job_first_seen_timestamp_seconds", { job_name: "cdc" })
          .length,
      };
    };
    // The baseline's last instance is history: the pipeline knows its success.
    expect(await read()).toEqual({
      streak: 0,
      success: firstEnd / 1000,
      failure: undefined,
      firstSeen: created / 1000,
      realTime: 0,
    });
    const steps: Array<[status: string, streak: number]> = [
      ["running", 0],
      ["fail", 1],
      ["fail", 2],
      ["manual-stop", 2],
      ["success", 0],
    ];
    let lastFailure: number | undefined;
    let lastSuccess = firstEnd;
    for (const [index, [status, streak]] of steps.entries()) {
      const end = firstEnd + (index + 1) * HOUR;
      h.sim.dataarts.update("ws1", "daily-load", {
        lastInstanceStatus: status.toUpperCase(),
        lastInstanceEndTime: end,
      });
      if (status === "fail") lastFailure = end;
      if (status === "success") lastSuccess = end;
      await h.pollAll();
      await h.pollAll(); // the same instance seen twice counts once
      expect(await read(), `after ${status}`).toMatchObject({
        streak,
        success: lastSuccess / 1000,
        failure: lastFailure === undefined ? undefined : lastFailure / 1000,
      });
    }
  });
});

describe("expectations and the max_per_source guard", () => {
  it("serves the first matching expectation and forgets the least recently run pipelines", async () => {
    h = await startHarness({
      simulator: { empty: true, workspaces: ["ws1"], churn: false },
      target: { dataarts: { workspaces: ["ws1"] }, flink: { enabled: false } },
      config: () => ({
        pipelines: {
          max_per_source: 2,
          expectations: [
            { source: "spark", job_name: "daily-.*", max_age: "26h", max_run_duration: "2h" },
            { source: "spark", job_name: ".*", max_age: "2h" },
            { source: "dataarts", job_name: "load", workspace: "ws1", max_age: "25h" },
          ],
        },
      }),
      beforeStart: (sim) => {
        sparkRun(sim, "daily-report", "success", { createdAgo: 3 * HOUR, durationMs: MINUTE });
        sparkRun(sim, "hourly-sync", "success", { createdAgo: 2 * HOUR, durationMs: MINUTE });
        sim.dataarts.upsert("ws1", { name: "load", jobType: "BATCH", status: "SCHEDULING" });
        sim.dataarts.upsert("ws1", { name: "other", jobType: "BATCH", status: "SCHEDULING" });
      },
    });
    let f = await h.families();
    const daily = { job_name: "daily-report" };
    expect(sampleValue(f, `${SPARK}expected_max_age_seconds`, daily)).toBe(26 * 3600);
    expect(sampleValue(f, `${SPARK}expected_max_run_duration_seconds`, daily)).toBe(7200);
    expect(sampleValue(f, `${SPARK}expected_max_age_seconds`, { job_name: "hourly-sync" })).toBe(7200);
    expect(samples(f, `${SPARK}expected_max_run_duration_seconds`, { job_name: "hourly-sync" })).toHaveLength(
      0,
    );
    expect(sampleValue(f, "huaweicloud_dataarts_job_expected_max_age_seconds", { job_name: "load" })).toBe(
      25 * 3600,
    );
    expect(
      samples(f, "huaweicloud_dataarts_job_expected_max_age_seconds", { job_name: "other" }),
    ).toHaveLength(0);

    // A third pipeline: the least recently run (daily-report) is forgotten and counted.
    sparkRun(h.sim, "adhoc", "running", { createdAgo: MINUTE, durationMs: MINUTE, updatedAgo: 0 });
    await h.pollAll();
    f = await h.families();
    expect(samples(f, `${SPARK}first_seen_timestamp_seconds`).map((s) => s.labels.job_name)).toEqual([
      "adhoc",
      "hourly-sync",
    ]);
    expect(sampleValue(f, "huaweicloud_job_exporter_pipelines_dropped_total", { source: "spark" })).toBe(1);
    expect(sampleValue(f, "huaweicloud_job_exporter_pipelines_dropped_total", { source: "dataarts" })).toBe(
      0,
    );
    // Another poll of the same world forgets nothing more.
    await h.pollAll();
    f = await h.families();
    expect(sampleValue(f, "huaweicloud_job_exporter_pipelines_dropped_total", { source: "spark" })).toBe(1);
  });
});

describe("the landing page", () => {
  it("lists overdue and failing pipelines first, by name", async () => {
    h = await startHarness({
      simulator: { empty: true, workspaces: ["ws1"], churn: false },
      target: { dataarts: { workspaces: ["ws1"] }, flink: { enabled: false } },
      config: () => ({
        pipelines: {
          failing_threshold: 2,
          expectations: [{ source: "spark", job_name: "daily-.*", max_age: "19h" }],
        },
      }),
      beforeStart: (sim) => {
        sparkRun(sim, "daily-report", "success", {
          createdAgo: 21 * HOUR,
          durationMs: MINUTE,
          updatedAgo: 20 * HOUR,
        });
        sparkRun(sim, "daily-fresh", "success", { createdAgo: 2 * HOUR, durationMs: MINUTE });
        sparkRun(sim, "hourly-<broken>", "dead", { createdAgo: 3 * HOUR, durationMs: MINUTE });
      },
    });
    const table = async () => {
      const page = await (await fetch(`${h?.exporter.url}/`)).text();
      const start = page.indexOf('id="pipelines"');
      expect(start).toBeGreaterThan(0);
      expect(start).toBeLessThan(page.indexOf('id="targets"'));
      return page.slice(start, page.indexOf("</table>", start));
    };
    // One failure is below the threshold of 2: only the overdue pipeline is listed.
    let rows = await table();
    expect(rows).toContain("<td>daily-report</td>");
    expect(rows).toContain("<td>overdue</td>");
    expect(rows).toContain("<td>20h 0m</td>");
    expect(rows).not.toContain("broken");
    expect(rows).not.toContain("daily-fresh");
    // A second failure: failing too, listed after the overdue one, its name escaped.
    sparkRun(h.sim, "hourly-<broken>", "dead", { createdAgo: 2 * HOUR, durationMs: MINUTE });
    await h.pollAll();
    rows = await table();
    expect(rows).toContain("<td>hourly-&lt;broken&gt;</td>");
    expect(rows).toContain("<td>failing</td>");
    expect(rows.indexOf("daily-report")).toBeLessThan(rows.indexOf("hourly-&lt;broken&gt;"));
    expect(rows).not.toContain("daily-fresh");
  });
});
