// The configuration file's contract (design/config.md) as a zod schema: the tree of keys, each
// leaf's check and default (checks.ts), the rules across keys, and the mapping of the file's
// snake_case keys to the resolved ExporterConfig (types.ts). What a zod issue says to the user is
// messages.ts's business.

import * as z from "zod";
import { defaultEndpoints } from "../huaweicloud/endpoints.js";
import {
  boolean,
  byteSize,
  choice,
  cronSchedule,
  duration,
  httpUrl,
  integer,
  leaf,
  listenAddress,
  secret,
  stringList,
  text,
  urlPath,
} from "./checks.js";
import { pipelinesSchema, stateSchema } from "./pipelines.js";
import { DEFAULT_SCHEDULE, FALLBACK_POLL_INTERVAL_MS, scheduleIntervalMs } from "./schedule.js";
import type { AuthConfig, ExporterConfig, ShardingConfig, TargetConfig } from "./types.js";

export const DEFAULT_METADATA_ENDPOINT = "http://169.254.169.254";
/** stale_after is this many poll intervals unless set. */
export const STALE_AFTER_POLL_INTERVALS = 5;

/** A mapping whose keys are exactly `shape`'s; an empty value (`spark:`) counts as `{}`. */
function section<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return z.preprocess((value) => value ?? {}, z.strictObject(shape));
}

const serverSchema = section({
  listen_address: leaf(listenAddress("0.0.0.0:9873")),
  metrics_path: leaf(urlPath("a URL path starting with /, e.g. /metrics", "/metrics")),
  web_config_file: leaf(text({ expected: "a file path", fallback: "", allowEmpty: true })),
  unauthenticated_paths: leaf(
    stringList({
      expected: "a list of distinct URL paths starting with /",
      fallback: ["/healthz"],
      item: urlPath("a URL path starting with /, e.g. /healthz"),
    }),
  ),
}).transform((s): ExporterConfig["server"] => ({
  listenAddress: s.listen_address,
  metricsPath: s.metrics_path,
  webConfigFile: s.web_config_file,
  unauthenticatedPaths: s.unauthenticated_paths,
}));

const pollSchema = section({
  schedule: leaf(cronSchedule(DEFAULT_SCHEDULE)),
  request_timeout: leaf(duration("30s")),
  concurrency: leaf(integer(1, 64, 4)),
  page_size: leaf(integer(1, 1000, 100)),
  stale_after: leaf(duration(undefined)),
  max_retries: leaf(integer(0, 10, 3)),
  max_response_bytes: leaf(byteSize(64 * 1024 * 1024)),
}).transform((p): ExporterConfig["poll"] => ({
  schedule: p.schedule,
  requestTimeoutMs: p.request_timeout,
  concurrency: p.concurrency,
  pageSize: p.page_size,
  staleAfterMs: p.stale_after ?? defaultStaleAfterMs(p.schedule),
  maxRetries: p.max_retries,
  maxResponseBytes: p.max_response_bytes,
}));

/** Five poll intervals where the schedule is a plain every-N one, else five minutes. */
export function defaultStaleAfterMs(schedule: string): number {
  return STALE_AFTER_POLL_INTERVALS * (scheduleIntervalMs(schedule) ?? FALLBACK_POLL_INTERVAL_MS);
}

const metricsSchema = section({
  state_series: leaf(choice(["all", "active"] as const, "all")),
  max_series_per_source: leaf(integer(1, 100_000_000, 500_000)),
}).transform((m): ExporterConfig["metrics"] => ({
  stateSeries: m.state_series,
  maxSeriesPerSource: m.max_series_per_source,
}));

export const MAX_TOTAL_SHARDS = 1000;

const shardingSchema = section({
  shard: leaf(integer(0, MAX_TOTAL_SHARDS - 1, 0)),
  total_shards: leaf(integer(1, MAX_TOTAL_SHARDS, 1)),
  shard_from_hostname: leaf(boolean(false)),
})
  .superRefine((s, ctx) => {
    if (!s.shard_from_hostname && s.shard >= s.total_shards) {
      ctx.addIssue({
        code: "custom",
        path: ["shard"],
        message: `${s.shard} given; expected a shard from 0 to ${s.total_shards - 1} (total_shards is ${s.total_shards})`,
      });
    }
  })
  .transform(
    (s): ShardingConfig => ({
      shard: s.shard,
      totalShards: s.total_shards,
      shardFromHostname: s.shard_from_hostname,
    }),
  );

const AKSK_KEYS = [
  "access_key",
  "secret_key",
  "security_token",
  "access_key_file",
  "secret_key_file",
  "security_token_file",
] as const;

const authSchema = z
  .strictObject({
    type: leaf(choice(["aksk", "metadata"] as const, "aksk")),
    endpoint: leaf(httpUrl("an http(s) URL of the metadata service")),
    access_key: leaf(secret("the access key id (AK)")),
    secret_key: leaf(secret("the secret access key (SK)")),
    security_token: leaf(secret("the security token of temporary credentials")),
    access_key_file: leaf(secret("a path to a file holding the access key id")),
    secret_key_file: leaf(secret("a path to a file holding the secret access key")),
    security_token_file: leaf(secret("a path to a file holding the security token")),
  })
  .transform((a, ctx): AuthConfig => {
    if (a.type === "metadata") {
      for (const key of AKSK_KEYS) {
        if (a[key] !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: "not used with type: metadata; expected it removed, or type: aksk",
          });
        }
      }
      return { type: "metadata", endpoint: a.endpoint ?? DEFAULT_METADATA_ENDPOINT };
    }
    if (a.endpoint !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["endpoint"],
        message: "only used with type: metadata; expected it removed",
      });
    }
    for (const key of ["access_key", "secret_key", "security_token"] as const) {
      if (a[key] !== undefined && a[`${key}_file`] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [`${key}_file`],
          message: `both ${key} and ${key}_file are set; expected only one of them`,
        });
      }
    }
    for (const key of ["access_key", "secret_key"] as const) {
      if (a[key] === undefined && a[`${key}_file`] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `missing; expected ${key} or ${key}_file (or type: metadata for temporary keys from the ECS metadata service)`,
        });
      }
    }
    const auth: AuthConfig = { type: "aksk" };
    if (a.access_key !== undefined) auth.accessKey = a.access_key;
    if (a.secret_key !== undefined) auth.secretKey = a.secret_key;
    if (a.security_token !== undefined) auth.securityToken = a.security_token;
    if (a.access_key_file !== undefined) auth.accessKeyFile = a.access_key_file;
    if (a.secret_key_file !== undefined) auth.secretKeyFile = a.secret_key_file;
    if (a.security_token_file !== undefined) auth.securityTokenFile = a.security_token_file;
    return auth;
  });

export const TARGET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const TARGET_NAME_EXPECTED = "1 to 63 letters, digits, _, . or -, starting with a letter or digit";

const targetSchema = section({
  name: leaf(text({ expected: TARGET_NAME_EXPECTED, pattern: TARGET_NAME_PATTERN, showValue: true })),
  region: leaf(
    text({
      expected: "a region id such as cn-north-4",
      pattern: /^[a-z0-9]+(-[a-z0-9]+)*$/,
      showValue: true,
    }),
  ),
  // Project ids are 32 hex digits on Huawei Cloud; we only refuse what would break the URL path.
  project_id: leaf(
    text({
      expected: "the project id of the region, e.g. 0123456789abcdef0123456789abcdef",
      pattern: /^[A-Za-z0-9_-]+$/,
    }),
  ),
  auth: z.preprocess((value) => value ?? {}, authSchema),
  endpoints: section({
    dli: leaf(httpUrl("an http(s) URL such as https://dli.cn-north-4.myhuaweicloud.com")),
    dataarts: leaf(httpUrl("an http(s) URL such as https://dayu-dlf.cn-north-4.myhuaweicloud.com")),
  }),
  spark: section({
    enabled: leaf(boolean(true)),
    lookback: leaf(duration("24h")),
    details: leaf(boolean(true)),
    details_per_poll: leaf(integer(1, 10_000, 50)),
    finished_retention: leaf(duration("1h", { allowZero: true })),
  }),
  flink: section({
    enabled: leaf(boolean(true)),
  }),
  dataarts: section({
    enabled: leaf(boolean(true)),
    workspaces: leaf(
      stringList({
        expected: "a list of distinct workspace ids",
        fallback: [],
        item: text({ expected: "a workspace id", pattern: /^[A-Za-z0-9_.-]+$/, showValue: true }),
      }),
    ),
    job_types: leaf(
      stringList({
        expected: "a non-empty list of BATCH and/or REAL_TIME",
        fallback: ["BATCH", "REAL_TIME"],
        item: choice(["BATCH", "REAL_TIME"] as const, "BATCH"),
        nonEmpty: true,
      }),
    ),
    pagination: leaf(choice(["auto", "page", "offset"] as const, "auto")),
  }),
}).transform((t): TargetConfig => {
  const derived = defaultEndpoints(t.region);
  return {
    name: t.name,
    region: t.region,
    projectId: t.project_id,
    auth: t.auth,
    endpoints: { dli: t.endpoints.dli ?? derived.dli, dataarts: t.endpoints.dataarts ?? derived.dataarts },
    spark: {
      enabled: t.spark.enabled,
      lookbackMs: t.spark.lookback,
      details: t.spark.details,
      detailsPerPoll: t.spark.details_per_poll,
      finishedRetentionMs: t.spark.finished_retention,
    },
    flink: { enabled: t.flink.enabled },
    dataarts: {
      enabled: t.dataarts.enabled,
      workspaces: t.dataarts.workspaces,
      jobTypes: t.dataarts.job_types,
      pagination: t.dataarts.pagination,
    },
  };
});

const targetsSchema = z.array(targetSchema).superRefine((targets, ctx) => {
  if (targets.length === 0) {
    ctx.addIssue({ code: "custom", message: "empty list; expected at least one target" });
  }
  const seen = new Set<string>();
  targets.forEach((target, index) => {
    if (seen.has(target.name)) {
      ctx.addIssue({
        code: "custom",
        path: [index, "name"],
        message: `"${target.name}" is used by an earlier target; expected unique names`,
      });
    }
    seen.add(target.name);
  });
});

/** The whole file. Parsing yields the resolved ExporterConfig. */
export const configFileSchema = z
  .strictObject({
    server: serverSchema,
    poll: pollSchema,
    metrics: metricsSchema,
    targets: targetsSchema,
    sharding: shardingSchema,
    pipelines: pipelinesSchema,
    state: stateSchema,
  })
  .transform((c): ExporterConfig => c);
