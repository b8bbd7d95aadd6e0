import { describe, expect, it } from "vitest";
import type { TargetConfig } from "../../src/config/types.js";
import type { ApiGetter } from "../../src/huaweicloud/types.js";
import { createSources } from "../../src/jobs/registry.js";
import { createLogger } from "../../src/logger.js";

function target(spark: boolean, flink: boolean, dataarts: boolean): TargetConfig {
  return {
    name: "prod",
    region: "cn-north-4",
    projectId: "p",
    auth: { type: "aksk" },
    endpoints: { dli: "https://dli.example.test", dataarts: "https://dlf.example.test" },
    spark: { enabled: spark, lookbackMs: 1, details: false, detailsPerPoll: 1, finishedRetentionMs: 1 },
    flink: { enabled: flink },
    dataarts: { enabled: dataarts, workspaces: [], jobTypes: ["BATCH"], pagination: "auto" },
  };
}

const api: ApiGetter = {
  getJson: () => Promise.reject(new Error("not called")),
};

describe("createSources", () => {
  it.each([
    [true, true, true, ["spark", "flink", "dataarts"]],
    [false, true, false, ["flink"]],
    [true, false, true, ["spark", "dataarts"]],
    [false, false, false, []],
  ])("spark %s, flink %s, dataarts %s → %j", (spark, flink, dataarts, names) => {
    const sources = createSources({
      api,
      target: target(spark, flink, dataarts),
      pageSize: 100,
      concurrency: 4,
      logger: createLogger("silent"),
    });
    expect(sources.map((s) => s.name)).toEqual(names);
  });
});
