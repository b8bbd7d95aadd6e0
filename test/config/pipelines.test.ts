// The `pipelines` and `state` sections: defaults, expectations resolved, one message naming
// the key for each mistake.

import { describe, expect, test } from "vitest";
import { buildConfig, ConfigError } from "../../src/config/load.js";

const target = {
  name: "prod",
  region: "cn-north-4",
  project_id: "0123456789abcdef0123456789abcdef",
  auth: { access_key: "AK", secret_key: "SK" },
};

function problemOf(pipelines: unknown): string {
  try {
    buildConfig({ targets: [target], pipelines }, {});
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error("expected a ConfigError");
}

describe("pipelines", () => {
  test("expectations keep their order and anchor job_name over the whole name", () => {
    const config = buildConfig(
      {
        targets: [target],
        pipelines: {
          max_per_source: 5,
          failing_threshold: 2,
          expectations: [
            { source: "spark", job_name: "daily-.*", max_age: "26h", max_run_duration: "2h" },
            { source: "dataarts", job_name: "load", workspace: "ws1", max_age: "1h" },
          ],
        },
      },
      {},
    );
    expect(config.pipelines.maxPerSource).toBe(5);
    expect(config.pipelines.failingThreshold).toBe(2);
    const [first, second] = config.pipelines.expectations;
    expect(first).toMatchObject({ source: "spark", maxAgeMs: 26 * 3_600_000, maxRunDurationMs: 7_200_000 });
    expect(first?.jobName.test("daily-load")).toBe(true);
    expect(first?.jobName.test("my-daily-load")).toBe(false);
    expect(second).toMatchObject({ source: "dataarts", maxAgeMs: 3_600_000, maxRunDurationMs: undefined });
    expect(second?.workspace?.test("ws1")).toBe(true);
    expect(second?.workspace?.test("ws10")).toBe(false);
  });

  test.each([
    [{ max_per_source: 0 }, "pipelines.max_per_source"],
    [{ failing_threshold: "three" }, "pipelines.failing_threshold"],
    [{ expectations: [{ job_name: "x", max_age: "1h" }] }, "pipelines.expectations[0].source"],
    [{ expectations: [{ source: "flink", max_age: "1h" }] }, "pipelines.expectations[0].source"],
    [{ expectations: [{ source: "spark" }] }, "pipelines.expectations[0].max_age"],
    [
      { expectations: [{ source: "spark", job_name: "(", max_age: "1h" }] },
      "pipelines.expectations[0].job_name",
    ],
    [
      { expectations: [{ source: "dataarts", max_age: "1h", max_run_duration: "1h" }] },
      "pipelines.expectations[0].max_run_duration",
    ],
    [
      { expectations: [{ source: "spark", workspace: "ws", max_age: "1h" }] },
      "pipelines.expectations[0].workspace",
    ],
    [{ surprise: 1 }, "pipelines"],
  ])("%j is refused naming %s", (pipelines, key) => {
    expect(problemOf(pipelines)).toContain(key);
  });
});
