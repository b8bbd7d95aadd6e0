// Prometheus' own linter on what the exporter serves: `promtool check metrics` on the /metrics
// body of an exporter watching a busy simulated world (all three sources, hundreds of jobs,
// polls across churn so counters and histograms hold data), and of the demo as a user starts it.
// The whole exposition must pass, prom-client's process metrics included.

import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { type Harness, samples, startHarness } from "../helpers/harness.js";
import { cleanUp, eventually, httpGet, startServing } from "../helpers/process.js";

const hasPromtool = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await cleanUp();
});

function sum(families: Awaited<ReturnType<Harness["families"]>>, name: string): number {
  return samples(families, name).reduce((total, s) => total + s.value, 0);
}

describe.skipIf(!hasPromtool)("promtool check metrics (needs promtool on PATH, skipped without it)", () => {
  it("finds nothing to remark on the exposition of a busy world", async () => {
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
    expect(`${result.stdout}${result.stderr}`).toBe("");
    expect(result.status).toBe(0);
  });

  it("finds nothing on the demo's /metrics (dist/main.js --demo)", async () => {
    const { url } = await startServing(["--demo", "--web.listen-address", "127.0.0.1:0"]);
    const body = await eventually(
      async () => {
        const text = (await httpGet(`${url}/metrics`)).body;
        return text.includes("huaweicloud_dataarts_jobs{") ? text : undefined;
      },
      "the demo's first polls",
      10_000,
    );
    expect(body).toContain("nodejs_active_handles{");
    const result = spawnSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8" });
    expect(`${result.stdout}${result.stderr}`).toBe("");
    expect(result.status).toBe(0);
  });
});
