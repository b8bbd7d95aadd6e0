// The benchmark's heavy world (`records: "heavy"`): the same jobs, answers with every documented
// field and long texts, seen over real HTTP, and the exporter serves the same jobs from them.

import { afterEach, describe, expect, test } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/index.js";
import { type Harness, startHarness } from "../helpers/harness.js";
import { signedJson } from "./signed-fetch.js";

const WORLD = {
  seed: 5,
  workspaces: ["ws-a"],
  jobs: { spark: 40, flink: 30, dataarts: { BATCH: 12, REAL_TIME: 4 } },
  churn: false,
} as const;

let sims: Simulator[] = [];
let harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.close();
  for (const s of sims) await s.close();
  sims = [];
  harnesses = [];
});

describe("heavy records", () => {
  test("Spark has ten log lines and a ~2 KB req_body, Flink its job_config, DataArts long paths", async () => {
    const sim = await startSimulator({ ...WORLD, records: "heavy" });
    sims.push(sim);
    const spark = await signedJson(sim, `/v2.0/${sim.projectId}/batches`, { query: { size: "100" } });
    const sessions = spark.body.sessions as Array<{ log: string[]; req_body: string }>;
    expect(sessions).toHaveLength(40);
    for (const s of sessions) {
      expect(s.log).toHaveLength(10);
      expect(s.req_body.length).toBeGreaterThanOrEqual(2000);
      expect(() => JSON.parse(s.req_body)).not.toThrow();
    }
    const flink = await signedJson(sim, `/v1.0/${sim.projectId}/streaming/jobs`, { query: { limit: "100" } });
    const jobs = (flink.body.job_list as { jobs: Array<Record<string, unknown>> }).jobs;
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(job.job_config).toBeTypeOf("object");
    const dataarts = await signedJson(sim, `/v1/${sim.projectId}/jobs`, {
      query: { jobType: "BATCH", limit: "100" },
      headers: { workspace: "ws-a" },
    });
    for (const job of dataarts.body.jobs as Array<{ path: string }>)
      expect(job.path.length).toBeGreaterThan(60);
  });

  test("the exporter serves the same jobs from heavy answers as from standard ones", async () => {
    const jobIds = async (records: "standard" | "heavy") => {
      const h = await startHarness({
        simulator: { ...WORLD, records },
        target: { dataarts: { workspaces: ["ws-a"] } },
      });
      harnesses.push(h);
      const families = await h.families();
      const ids = (name: string, label: string) =>
        (families.get(name)?.samples ?? []).map((s) => s.labels[label]).sort();
      return {
        spark: ids("huaweicloud_dli_spark_job_info", "job_id"),
        flink: ids("huaweicloud_dli_flink_job_info", "job_id"),
        dataarts: ids("huaweicloud_dataarts_job_info", "job_name"),
      };
    };
    const heavy = await jobIds("heavy");
    expect(heavy.spark.length).toBeGreaterThan(0);
    expect(heavy.flink).toHaveLength(30);
    expect(heavy.dataarts).toHaveLength(16);
    expect(heavy).toEqual(await jobIds("standard"));
  });
});
