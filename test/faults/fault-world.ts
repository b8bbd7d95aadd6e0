// What every fault case in this directory checks, in one place: a small fixed world behind the
// simulator, an exporter polled by hand, and the five promises of the issue (the process keeps
// serving, the last complete data stays, `up` is 0 while the fault lasts, the error is counted
// under its reason, and the first poll after the fault restores everything without counting
// anything twice).

import { expect } from "vitest";
import { type Harness, type HarnessOptions, samples, sampleValue, startHarness } from "../helpers/harness.js";

export type Source = "spark" | "flink" | "dataarts";
export const SOURCES: readonly Source[] = ["spark", "flink", "dataarts"];

export const PER_JOB_FAMILY: Record<Source, string> = {
  spark: "huaweicloud_dli_spark_job_state",
  flink: "huaweicloud_dli_flink_job_status",
  dataarts: "huaweicloud_dataarts_job_status",
};

/** The counters of the three sources: a recovery must not move them when the world stood still. */
export const COUNTERS = [
  "huaweicloud_dli_spark_jobs_finished_total",
  "huaweicloud_dli_flink_job_status_changes_total",
  "huaweicloud_dataarts_job_instances_finished_total",
];

/** Job counts per source in the fault world; page size 10, so every listing spans pages. */
export const WORLD_JOBS = { spark: 40, flink: 30, dataarts: { BATCH: 25, REAL_TIME: 15 } };
export const PAGE_SIZE = 10;

export type Families = Awaited<ReturnType<Harness["families"]>>;

export async function startFaultWorld(options: Partial<HarnessOptions> = {}): Promise<Harness> {
  return startHarness({
    ...options,
    simulator: { jobs: WORLD_JOBS, churn: false, ...options.simulator },
    config:
      options.config ??
      (() => ({
        poll: {
          schedule: "0 0 0 1 1 *",
          request_timeout: "400ms",
          max_retries: 1,
          page_size: PAGE_SIZE,
        },
      })),
  });
}

/** The per-job series of a source as sorted text, for exact before/after comparison. */
export function perJobLines(f: Families, source: Source): string[] {
  return samples(f, PER_JOB_FAMILY[source])
    .map((s) => JSON.stringify([s.labels, s.value]))
    .sort();
}

export function counterValues(f: Families): string {
  return JSON.stringify(COUNTERS.map((name) => samples(f, name).map((s) => [s.labels, s.value])));
}

/** A snapshot of what a user sees of one source, taken before a fault. */
export interface Baseline {
  jobs: string[];
  counters: string;
}

export async function baselineOf(h: Harness, source: Source): Promise<Baseline> {
  const f = await h.families();
  const jobs = perJobLines(f, source);
  expect(jobs.length, `${source} has jobs before the fault`).toBeGreaterThan(0);
  expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: "it", source })).toBe(1);
  return { jobs, counters: counterValues(f) };
}

/**
 * While the fault lasts: /metrics answers, `up` is 0 for this source (and 1 for the others
 * unless they share the fault), the error is counted under `reason`, and the last complete data
 * is still served.
 */
export async function expectFailing(
  h: Harness,
  source: Source,
  reason: string,
  before: Baseline,
  options: { othersUp?: boolean; polls?: number } = {},
): Promise<void> {
  const f = await h.families();
  expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: "it", source })).toBe(0);
  if (options.othersUp !== false) {
    for (const other of SOURCES.filter((s) => s !== source)) {
      expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: "it", source: other })).toBe(1);
    }
  }
  expect(
    sampleValue(f, "huaweicloud_job_exporter_errors_total", { target: "it", source, reason }),
  ).toBeGreaterThanOrEqual(1);
  expect(
    sampleValue(f, "huaweicloud_job_exporter_polls_total", { target: "it", source, result: "error" }),
  ).toBe(options.polls ?? 1);
  expect(perJobLines(f, source)).toEqual(before.jobs);
  const status = h.exporter.pollers.find((p) => p.status.source === source)?.status;
  expect(status?.lastResult).toBe("error");
  expect(status?.lastError?.reason).toBe(reason);
}

/** After the fault: `up` is 1, the same jobs as before, and no counter moved. */
export async function expectRestored(h: Harness, source: Source, before: Baseline): Promise<void> {
  const f = await h.families();
  expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: "it", source })).toBe(1);
  expect(perJobLines(f, source)).toEqual(before.jobs);
  expect(counterValues(f)).toEqual(before.counters);
}
