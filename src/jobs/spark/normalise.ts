// From the API's record to the normalised job: the one place a raw Spark session is read.

import type { SparkDetails, SparkSessionRecord } from "./api.js";
import type { SparkJob } from "./job.js";

/** The lower-cased state; "unknown" where the API sent none. */
export function sparkState(record: SparkSessionRecord): string {
  const state = record.state?.trim().toLowerCase();
  return state ? state : "unknown";
}

export function normaliseSparkSession(record: SparkSessionRecord, details?: SparkDetails): SparkJob {
  return {
    id: record.id,
    name: record.name ?? "",
    queue: record.queue ? record.queue : (record.cluster_name ?? ""),
    owner: record.owner ?? "",
    proxyUser: record.proxyUser ?? "",
    kind: record.kind ?? "",
    scType: record.sc_type ?? "",
    appId: record.appId ?? "",
    state: sparkState(record),
    createdMs: record.create_time,
    updatedMs: record.update_time,
    durationMs: record.duration,
    sparkVersion: details?.sparkVersion ?? "",
    feature: details?.feature ?? "",
  };
}
