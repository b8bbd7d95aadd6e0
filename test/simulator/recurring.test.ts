// The demo's recurring named runs, seen through the exporter over real HTTP: pipelines with
// the streaks, slow runs and failures their schedules say.

import { afterEach, describe, expect, it } from "vitest";
import {
  DATAARTS_SCHEDULES,
  runAt,
  SPARK_SCHEDULES,
  stepRecurringRuns,
} from "../../src/simulator/recurring.js";
import { type Harness, sampleValue, startHarness } from "../helpers/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

// A fixed moment, the exporter's clock and the world's alike: Spark is listed from the exporter's
// now back over the lookback, so a world at a fixed date polled on the real clock passed only for
// a day after it.
const NOW = Date.UTC(2026, 11, 3, 12, 30);
const schedule = (name: string) => SPARK_SCHEDULES.find((s) => s.name === name) ?? DATAARTS_SCHEDULES[0];

/** Finished runs ending dead after the latest success, counting back from `n`. */
function streakBefore(name: string, now: number): number {
  const s = schedule(name);
  if (s === undefined) throw new Error(name);
  let n = Math.floor((now - s.offsetMs) / s.periodMs);
  let streak = 0;
  for (; n >= 0; n--) {
    const run = runAt(s, n, now);
    if (run.start < now - 24 * 3_600_000) break;
    if (run.state === "running") continue;
    if (run.state === "success") break;
    streak++;
  }
  return streak;
}

describe("recurring runs", () => {
  it.each([
    ["hourly-ingest-orders", 7, true],
    ["hourly-ingest-orders", 6, false],
    ["daily-legacy-export", 0, true],
    ["daily-sales-report", 3, false],
  ])("%s run %i fails: %s", (name, n, fails) => {
    expect(schedule(name)?.fails(n)).toBe(fails);
  });

  it("serve pipelines with their streaks, typical and slow runs", async () => {
    h = await startHarness({
      simulator: { empty: true, workspaces: ["ws1"], churn: false, worldStartMs: NOW },
      target: { dataarts: { workspaces: ["ws1"] }, flink: { enabled: false } },
      beforeStart: (sim) => stepRecurringRuns(sim, new Map(), "ws1"),
      now: () => NOW,
    });
    const f = await h.families();
    const spark = (family: string, job_name: string) =>
      sampleValue(f, `huaweicloud_dli_spark_pipeline_${family}`, { job_name });
    for (const { name } of SPARK_SCHEDULES) {
      expect(spark("consecutive_failures", name), name).toBe(streakBefore(name, NOW));
    }
    expect(spark("last_success_timestamp_seconds", "daily-legacy-export")).toBeUndefined();
    expect(spark("consecutive_failures", "daily-legacy-export")).toBeGreaterThan(0);
    // Mostly 12-minute runs, with a 50-minute one now and then.
    expect(spark("typical_run_duration_seconds", "hourly-compaction")).toBe(12 * 60);
    expect(spark("typical_run_duration_seconds", "quarter-hourly-sync")).toBe(2 * 60);
    const kpi = { workspace: "ws1", job_name: "hourly-kpi-refresh", job_type: "BATCH" };
    expect(sampleValue(f, "huaweicloud_dataarts_job_first_seen_timestamp_seconds", kpi)).toBe(
      Date.UTC(2026, 0, 1) / 1000,
    );
  });
});
