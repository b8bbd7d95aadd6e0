// Builders of normalised jobs and a reader of the store's output, shared by the state and
// golden tests. The reader goes through the strict exposition parser, so every assertion on a
// value also checks the text is valid.

import type { DataArtsJob } from "../../src/jobs/dataarts/job.js";
import type { FlinkJob } from "../../src/jobs/flink/job.js";
import type { SourceName, TargetIdentity } from "../../src/jobs/model.js";
import type { SparkJob } from "../../src/jobs/spark/job.js";
import type { StoreObserver } from "../../src/state/store.js";
import { parseExposition } from "./exposition-parser.js";

export const PROD: TargetIdentity = { name: "prod", region: "cn-north-4", projectId: "0123456789abcdef" };
export const DEV: TargetIdentity = { name: "dev", region: "ap-southeast-3", projectId: "fedcba9876543210" };

export const MIN = 60_000;
export const HOUR = 60 * MIN;
/** 2023-11-14T22:13:20Z: a round epoch for readable fixtures. */
export const T0 = 1_700_000_000_000;

export function spark(id: string, state: string, more: Partial<SparkJob> = {}): SparkJob {
  return {
    id,
    name: `job-${id}`,
    queue: "etl",
    owner: "alice",
    proxyUser: "",
    kind: "",
    scType: "A",
    appId: "",
    state,
    createdMs: T0 - 10 * MIN,
    updatedMs: T0 - MIN,
    durationMs: 9 * MIN,
    sparkVersion: "",
    feature: "",
    ...more,
  };
}

export function flink(id: string, status: string, more: Partial<FlinkJob> = {}): FlinkJob {
  return {
    id,
    name: `stream-${id}`,
    queue: "rt",
    jobType: "flink_opensource_sql_job",
    userName: "bob",
    status,
    createdMs: T0 - 24 * HOUR,
    startMs: T0 - 2 * HOUR,
    durationMs: 2 * HOUR,
    restarts: 0,
    ...more,
  };
}

export function dataarts(name: string, status: string, more: Partial<DataArtsJob> = {}): DataArtsJob {
  return {
    workspace: "default",
    name,
    jobType: "BATCH",
    status,
    owner: "carol",
    path: "/etl",
    priority: "0",
    lastInstanceStatus: "success",
    lastInstanceEndMs: T0 - 5 * MIN,
    createdMs: T0 - 60 * MIN,
    ...more,
  };
}

/** `name{k="v",...}` without target, region and project_id (labels sorted) -> value. */
export function seriesOf(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const family of parseExposition(text)) {
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels)
        .filter(([k]) => k !== "region" && k !== "project_id")
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(",");
      out.set(`${sample.name}{${labels}}`, sample.value);
    }
  }
  return out;
}

/** One series' value, or undefined where it is absent. Target defaults to prod. */
export function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  const all = { target: "prod", ...labels };
  const key = Object.entries(all)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",");
  return seriesOf(text).get(`${name}{${key}}`);
}

/** Names of the families present in a body. */
export function familiesOf(text: string): string[] {
  return parseExposition(text).map((f) => f.name);
}

export class RecordingObserver implements StoreObserver {
  unknown: Array<[SourceName, string]> = [];
  dropped: Array<[string, SourceName, number]> = [];
  held = new Map<string, number>();
  countUnknownState(source: SourceName, state: string): void {
    this.unknown.push([source, state]);
  }
  countSeriesDropped(target: string, source: SourceName, count: number): void {
    this.dropped.push([target, source, count]);
  }
  setJobsHeld(target: string, source: SourceName, count: number): void {
    this.held.set(`${target}/${source}`, count);
  }
}
