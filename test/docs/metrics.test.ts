// docs/metrics.md is the users' reference: its tables must list exactly the families the
// exporter serves (the job store and the self-metrics registry), with the same type and labels.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { JOB_FAMILIES } from "../../src/jobs/registry.js";
import { SelfMetrics } from "../../src/runtime/self-metrics.js";
import { JobStore } from "../../src/state/store.js";
import { parseExposition } from "../helpers/exposition-parser.js";
import { dataarts, flink, MIN, PROD, spark, T0 } from "../helpers/job-builders.js";
import { bodyOf } from "../helpers/store-body.js";

const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

interface FamilyShape {
  type: string;
  labels: string[];
}

/** Rows `| \`name\` | type | \`label\`, ... | meaning |` of every table. */
function documentedFamilies(markdown: string): Map<string, FamilyShape> {
  const out = new Map<string, FamilyShape>();
  for (const line of markdown.split("\n")) {
    const row = /^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \| (gauge|counter|histogram|summary) \| ([^|]*) \|/.exec(
      line,
    );
    if (!row) continue;
    const name = row[1] as string;
    if (out.has(name)) throw new Error(`${name} documented twice`);
    const labels = [...(row[3] as string).matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    out.set(name, { type: row[2] as string, labels: labels.sort() });
  }
  return out;
}

function servedFamilies(text: string): Map<string, FamilyShape> {
  const out = new Map<string, FamilyShape>();
  for (const family of parseExposition(text, { allowEmptyLines: true })) {
    const labels = new Set<string>();
    for (const sample of family.samples) {
      for (const label of Object.keys(sample.labels)) if (label !== "le") labels.add(label);
    }
    out.set(family.name, { type: family.type, labels: [...labels].sort() });
  }
  return out;
}

/** Enough activity that every family has series. */
async function exposition(): Promise<string> {
  const self = new SelfMetrics();
  const store = new JobStore({
    staleAfterMs: 5 * MIN,
    stateSeries: "all",
    maxSeriesPerSource: 10_000,
    pipelines: {
      maxPerSource: 1000,
      failingThreshold: 3,
      expectations: [
        {
          source: "spark",
          jobName: /^(?:.*)$/u,
          workspace: undefined,
          maxAgeMs: DAY,
          maxRunDurationMs: HOUR,
        },
        {
          source: "dataarts",
          jobName: /^(?:.*)$/u,
          workspace: undefined,
          maxAgeMs: DAY,
          maxRunDurationMs: undefined,
        },
      ],
    },
    observer: self,
  });
  self.addTarget(PROD);
  await store.applySuccess(PROD, "spark", [spark("a", "running")], T0);
  await store.applySuccess(
    PROD,
    "spark",
    [spark("a", "success"), spark("b", "mystery"), spark("c", "dead", { name: "job-a" })],
    T0 + MIN,
  );
  await store.applySuccess(PROD, "flink", [flink("1", "job_running")], T0);
  await store.applySuccess(PROD, "dataarts", [dataarts("daily", "scheduling")], T0);
  await store.applySuccess(
    PROD,
    "dataarts",
    [dataarts("daily", "scheduling", { lastInstanceEndMs: T0 + MIN, lastInstanceStatus: "fail" })],
    T0 + MIN,
  );
  self.observePoll(PROD, "spark", "success", 2, T0 + MIN);
  self.observeStateWrite(true, T0 + MIN);
  self.observeRequest(PROD, { source: "spark", code: "200", durationSeconds: 0.2 });
  return bodyOf(store) + (await self.metrics());
}

describe("docs/metrics.md", () => {
  const documented = documentedFamilies(readFileSync("docs/metrics.md", "utf8"));

  it("documents every served family with its type and labels, and nothing that is not served", async () => {
    const served = servedFamilies(await exposition());
    const ours = new Map([...served].filter(([name]) => !/^(process|nodejs)_/.test(name)));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(ours));
  });

  it("the test's activity covers every declared job family", async () => {
    const served = servedFamilies(await exposition());
    for (const family of JOB_FAMILIES) expect(served.get(family.name)?.type).toBe(family.type);
  });

  it("mentions prom-client's process_* and nodejs_* families, which are served", async () => {
    const markdown = readFileSync("docs/metrics.md", "utf8");
    expect(markdown).toContain("`process_*`");
    expect(markdown).toContain("`nodejs_*`");
    const names = [...servedFamilies(await exposition()).keys()];
    expect(names.some((n) => n.startsWith("process_"))).toBe(true);
    expect(names.some((n) => n.startsWith("nodejs_"))).toBe(true);
  });

  it("every family of the metrics contract (v1) is documented and served under its name", async () => {
    const served = servedFamilies(await exposition());
    for (const name of CONTRACT_FAMILIES) {
      expect(documented.has(name), name).toBe(true);
      expect(served.has(name), name).toBe(true);
    }
  });
});

/** The families the metrics contract promises users; renaming one breaks their dashboards. */
const CONTRACT_FAMILIES = [
  "huaweicloud_dli_spark_job_info",
  "huaweicloud_dli_spark_job_state",
  "huaweicloud_dli_spark_job_duration_seconds",
  "huaweicloud_dli_spark_job_created_timestamp_seconds",
  "huaweicloud_dli_spark_job_updated_timestamp_seconds",
  "huaweicloud_dli_spark_jobs",
  "huaweicloud_dli_spark_jobs_finished_total",
  "huaweicloud_dli_spark_job_run_duration_seconds",
  "huaweicloud_dli_flink_job_info",
  "huaweicloud_dli_flink_job_status",
  "huaweicloud_dli_flink_job_duration_seconds",
  "huaweicloud_dli_flink_job_start_timestamp_seconds",
  "huaweicloud_dli_flink_job_created_timestamp_seconds",
  "huaweicloud_dli_flink_job_restarts_total",
  "huaweicloud_dli_flink_jobs",
  "huaweicloud_dli_flink_job_status_changes_total",
  "huaweicloud_dataarts_job_info",
  "huaweicloud_dataarts_job_status",
  "huaweicloud_dataarts_job_last_instance_status",
  "huaweicloud_dataarts_job_last_instance_end_timestamp_seconds",
  "huaweicloud_dataarts_job_instances_finished_total",
  "huaweicloud_dataarts_jobs",
  "huaweicloud_job_exporter_up",
  "huaweicloud_job_exporter_last_success_timestamp_seconds",
  "huaweicloud_job_exporter_poll_duration_seconds",
  "huaweicloud_job_exporter_polls_total",
  "huaweicloud_job_exporter_api_requests_total",
  "huaweicloud_job_exporter_api_request_duration_seconds",
  "huaweicloud_job_exporter_errors_total",
  "huaweicloud_job_exporter_jobs",
  "huaweicloud_job_exporter_unknown_states_total",
  "huaweicloud_job_exporter_build_info",
];
