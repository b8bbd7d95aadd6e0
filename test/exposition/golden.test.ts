// Golden files: the whole job exposition for a fixed set of jobs of each source across two
// targets, compared byte for byte, so any change to names, labels, order, escaping or values
// shows up as a diff in review.
//
// To rewrite the fixtures after an intended change: UPDATE_GOLDEN=1 npx vitest run test/exposition/golden.test.ts
// then read the diff of test/fixtures/*.prom before committing it.

import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { TargetConfig } from "../../src/config/types.js";
import type { StateSeriesMode } from "../../src/exposition/family.js";
import { JobStore } from "../../src/state/store.js";
import { parseExposition } from "../helpers/exposition-parser.js";
import { DEV, dataarts, flink, HOUR, MIN, PROD, spark, T0 } from "../helpers/job-builders.js";
import { which } from "../helpers/process.js";
import { bodyOf } from "../helpers/store-body.js";

const UPDATE = process.env.UPDATE_GOLDEN === "1";

function targetConfig(name: string): TargetConfig {
  return {
    name,
    region: "",
    projectId: "",
    auth: { type: "aksk" },
    endpoints: { dli: "", dataarts: "" },
    spark: {
      enabled: true,
      lookbackMs: 24 * HOUR,
      details: true,
      detailsPerPoll: 10,
      finishedRetentionMs: HOUR,
    },
    flink: { enabled: true },
    dataarts: { enabled: true, workspaces: [], jobTypes: ["BATCH", "REAL_TIME"], pagination: "auto" },
  };
}

/** Two polls of each source of two targets: a baseline, then a minute of changes. */
async function scenario(stateSeries: StateSeriesMode): Promise<string> {
  const store = new JobStore({
    staleAfterMs: 5 * MIN,
    stateSeries,
    maxSeriesPerSource: 500_000,
    targets: [targetConfig("prod"), targetConfig("dev")],
  });
  const t1 = T0 + MIN;

  // prod: a busy project.
  await store.applySuccess(
    PROD,
    "spark",
    [
      spark("5f0c7c1e-0000-4000-8000-000000000001", "running", {
        name: "daily-etl",
        appId: "application_1_0001",
      }),
      spark("5f0c7c1e-0000-4000-8000-000000000002", "success", { name: "old-report" }),
      spark("5f0c7c1e-0000-4000-8000-000000000003", "starting", {
        name: 'quote " backslash \\ newline \n end',
        queue: "adhoc",
        durationMs: undefined,
      }),
    ],
    T0,
  );
  await store.applySuccess(
    PROD,
    "spark",
    [
      spark("5f0c7c1e-0000-4000-8000-000000000001", "success", {
        name: "daily-etl",
        appId: "application_1_0001",
        updatedMs: t1 - 1000,
        durationMs: 754_321,
        sparkVersion: "3.3.1",
        feature: "basic",
      }),
      spark("5f0c7c1e-0000-4000-8000-000000000002", "success", { name: "old-report" }),
      spark("5f0c7c1e-0000-4000-8000-000000000003", "running", {
        name: 'quote " backslash \\ newline \n end',
        queue: "adhoc",
        durationMs: 30_000,
      }),
      // Created and failed between the two polls: counted.
      spark("5f0c7c1e-0000-4000-8000-000000000004", "dead", {
        name: "flaky",
        durationMs: 42_500,
        updatedMs: t1 - 500,
      }),
    ],
    t1,
  );
  await store.applySuccess(
    PROD,
    "flink",
    [
      flink("101", "job_running", { name: "clicks", restarts: 2 }),
      flink("102", "job_submitting", { name: "orders", startMs: undefined, durationMs: 0 }),
    ],
    T0,
  );
  await store.applySuccess(
    PROD,
    "flink",
    [
      flink("101", "job_running_exception", { name: "clicks", restarts: 3 }),
      flink("102", "job_running", { name: "orders", startMs: t1 - 20_000, durationMs: 20_000 }),
      flink("103", "job_init", { name: "新作业", queue: "rt-2", startMs: undefined, durationMs: 0 }),
    ],
    t1,
  );
  await store.applySuccess(
    PROD,
    "dataarts",
    [
      dataarts("daily_sales", "scheduling", {
        lastInstanceStatus: "success",
        lastInstanceEndMs: T0 - 10 * MIN,
      }),
      dataarts("stream_sync", "normal", {
        jobType: "REAL_TIME",
        lastInstanceStatus: "",
        lastInstanceEndMs: undefined,
        priority: "1",
      }),
    ],
    T0,
  );
  await store.applySuccess(
    PROD,
    "dataarts",
    [
      dataarts("daily_sales", "scheduling", { lastInstanceStatus: "fail", lastInstanceEndMs: t1 - 5000 }),
      dataarts("stream_sync", "exception", {
        jobType: "REAL_TIME",
        lastInstanceStatus: "",
        lastInstanceEndMs: undefined,
        priority: "1",
      }),
    ],
    t1,
  );

  // dev: a quiet one, with a name longer than 128 characters.
  const long = `${"x".repeat(120)}ééé😀😀😀😀😀😀`;
  await store.applySuccess(
    DEV,
    "spark",
    [spark("6a1d0000-0000-4000-8000-00000000000a", "running", { name: long })],
    T0,
  );
  await store.applySuccess(
    DEV,
    "spark",
    [spark("6a1d0000-0000-4000-8000-00000000000a", "running", { name: long })],
    t1,
  );
  await store.applySuccess(DEV, "flink", [flink("7", "job_cancel_success", { name: "stopped-stream" })], T0);
  await store.applySuccess(DEV, "flink", [flink("7", "job_cancel_success", { name: "stopped-stream" })], t1);
  await store.applySuccess(DEV, "dataarts", [dataarts("weekly", "paused", { workspace: "ws-dev" })], T0);
  await store.applySuccess(DEV, "dataarts", [dataarts("weekly", "paused", { workspace: "ws-dev" })], t1);
  return bodyOf(store);
}

describe.each([
  ["all", "test/fixtures/jobs-state-series-all.prom"],
  ["active", "test/fixtures/jobs-state-series-active.prom"],
] as const)("golden exposition, state_series %s", (mode, path) => {
  let text = "";
  beforeAll(async () => {
    text = await scenario(mode);
  });

  it(`equals ${path} whole`, () => {
    if (UPDATE) writeFileSync(path, text);
    expect(text).toBe(readFileSync(path, "utf8"));
  });

  it("parses under the strict grammar", () => {
    expect(parseExposition(text).length).toBeGreaterThan(0);
  });

  const tool = which("promtool");
  it.skipIf(tool === undefined)("passes promtool check metrics (skipped: promtool is not installed)", () => {
    const result = spawnSync(tool as string, ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(result.stderr + result.stdout).toBe("");
    expect(result.status).toBe(0);
  });
});
