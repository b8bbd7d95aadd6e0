// The configuration after validation: durations in milliseconds, defaults filled in,
// endpoints resolved from the region. The YAML contract lives in the zod schema
// (schema.ts) and docs/configuration.md; everything else reads only these types.

import type { PipelineSettings } from "../jobs/pipeline-rules.js";
import type { StateConfig } from "./pipelines.js";

export type AuthConfig =
  | {
      type: "aksk";
      accessKey?: string;
      secretKey?: string;
      securityToken?: string;
      accessKeyFile?: string;
      secretKeyFile?: string;
      securityTokenFile?: string;
    }
  | {
      type: "metadata";
      /** Base URL of the metadata service; default `http://169.254.169.254`. */
      endpoint: string;
    };

export type DataArtsPagination = "auto" | "page" | "offset";

export interface TargetConfig {
  name: string;
  region: string;
  projectId: string;
  auth: AuthConfig;
  endpoints: { dli: string; dataarts: string };
  spark: {
    enabled: boolean;
    lookbackMs: number;
    details: boolean;
    /** Details calls at most per poll; the rest wait for the next poll. */
    detailsPerPoll: number;
    finishedRetentionMs: number;
  };
  flink: { enabled: boolean };
  dataarts: {
    enabled: boolean;
    /** Workspace ids; empty means the default workspace only (sent without the header). */
    workspaces: string[];
    jobTypes: Array<"BATCH" | "REAL_TIME">;
    pagination: DataArtsPagination;
  };
}

export interface ExporterConfig {
  server: {
    listenAddress: string;
    metricsPath: string;
    webConfigFile: string;
    /** Paths served without basic auth when the web config sets users (default ["/healthz"]). */
    unauthenticatedPaths: string[];
  };
  poll: {
    schedule: string;
    requestTimeoutMs: number;
    concurrency: number;
    pageSize: number;
    staleAfterMs: number;
    /** Attempts per request beyond the first, for retryable failures. */
    maxRetries: number;
    /** Answers larger than this are refused without reading them whole. */
    maxResponseBytes: number;
  };
  metrics: {
    stateSeries: "all" | "active";
    maxSeriesPerSource: number;
  };
  targets: TargetConfig[];
  /** Pipelines: the guard, the failing threshold, the expectations (config/pipelines.ts). */
  pipelines: PipelineSettings;
  /** Where the exporter's memory lives across restarts. */
  state: StateConfig;
  /**
   * Several replicas sharing one file: this process polls only the targets whose name hashes to
   * its shard (src/shard.ts). Absent means one shard, every target.
   */
  sharding?: ShardingConfig;
}

export interface ShardingConfig {
  /** 0-based; ignored when shardFromHostname is set. */
  shard: number;
  totalShards: number;
  /** Take the shard from the pod ordinal at the end of the host name (StatefulSet). */
  shardFromHostname: boolean;
}
