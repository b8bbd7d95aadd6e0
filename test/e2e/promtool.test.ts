// Prometheus' own linter on what the exporter serves: `promtool check metrics` on the /metrics
// body of an exporter watching a busy simulated world (all three sources, hundreds of jobs,
// polls across churn so counters and histograms hold data). Only prom-client's own process
// metrics may draw remarks, and those are named one by one below.

import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { type Harness, samples, startHarness } from "../helpers/harness.js";

const hasPromtool = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0;

/**
 * Remarks about prom-client's default metrics, which are its to name: these gauges of Node's
 * handles, requests and resources end in `_total`.
 */
const ALLOWED = new Set([
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
]);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function sum(families: Awaited<ReturnType<Harness["families"]>>, name: string): number {
  return samples(families, name).reduce((total, s) => total + s.value, 0);
}

describe.skipIf(!hasPromtool)("promtool check metrics (needs promtool on PATH, skipped without it)", () => {
  it("finds nothing to remark on the exposition of a busy world but prom-client's own names", async () => {
    h = await startHarness({
      simulator: {
        seed: 11,
        workspaces: ["ws-a", "ws-b"],
        jobs: { spark: 300, flink: 120, dataarts: { BATCH: 60, REAL_TIME: 20 } },
      },
      target: { dataarts: { workspaces: ["ws-a", "ws-b"] } },
      config: () => ({
        poll: { schedule: "0 0 0 1 1 *", request_timeout: "5s", max_retries: 1, page_size: 100 },
      }),
    });
    for (let i = 0; i < 3; i++) {
      h.sim.tick(15 * 60_000);
      await h.pollAll();
    }
    const families = await h.families();
    // The world was busy: every source has jobs and every counter and histogram has data.
    for (const source of ["spark", "flink", "dataarts"]) {
      expect(
        samples(families, "huaweicloud_job_exporter_jobs", { source })[0]?.value,
        source,
      ).toBeGreaterThan(50);
      expect(samples(families, "huaweicloud_job_exporter_up", { source })[0]?.value, source).toBe(1);
    }
    expect(sum(families, "huaweicloud_dli_spark_jobs_finished_total")).toBeGreaterThan(0);
    expect(sum(families, "huaweicloud_dli_spark_job_run_duration_seconds_count")).toBeGreaterThan(0);
    expect(sum(families, "huaweicloud_dli_flink_job_status_changes_total")).toBeGreaterThan(0);
    expect(sum(families, "huaweicloud_dataarts_job_instances_finished_total")).toBeGreaterThan(0);
    expect(sum(families, "huaweicloud_job_exporter_poll_duration_seconds_count")).toBeGreaterThan(0);

    const body = await h.scrape();
    const result = spawnSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8" });
    const remarks = `${result.stdout}\n${result.stderr}`
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "");
    // 0: clean; 3: lint remarks only (1 would be a body promtool cannot parse).
    expect([0, 3], remarks.join("\n")).toContain(result.status);
    expect(remarks.filter((line) => !ALLOWED.has(line))).toEqual([]);
  });
});
