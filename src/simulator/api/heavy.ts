// Heavy records: the same jobs with every documented field filled and long texts, for the
// benchmark's second world (option `records: "heavy"`). Spark: ten `log` lines (the doc's "last
// 10 records") and a `req_body` of about 2 KB (the submit body with its `conf`, `jars`, `args`);
// Flink: every field of the list doc's Jobs table for the `show_detail` asked, `job_config`
// with every field of its table; DataArts: long folder paths. Derived from the job alone
// (no draws from the seeded generator), so a seed's world is the same in both modes; cached
// per record while the fields it derives from are unchanged.

import type { DataArtsJobRecord, FlinkJobRecord, SparkSession } from "../world/jobs.js";

export type RecordWeight = "standard" | "heavy";

const REQ_BODY_BYTES = 2048;

const sparkCache = new WeakMap<SparkSession, { key: string; log: string[]; req_body: string }>();

/** Ten log lines and a ~2 KB req_body keeping the original body's fields. */
export function heavySpark(job: SparkSession): { log: string[]; req_body: string } {
  const key = `${job.id}\u0000${job.state}\u0000${job.req_body}`;
  const cached = sparkCache.get(job);
  if (cached?.key === key) return cached;
  const app = Array.isArray(job.appId) ? job.appId[0] : (job.appId ?? "application_pending");
  const log = [
    "stdout: ",
    "stderr: ",
    `YARN Diagnostics: ${job.state === "dead" ? "Application failed 2 times due to AM Container exited with exitCode: 1" : ""}`,
    `INFO Client: Submitting application ${app} to ResourceManager`,
    `INFO Client: Application report for ${app} (state: ACCEPTED)`,
    `INFO Client: client token: N/A, diagnostics: N/A, ApplicationMaster host: 192.168.0.${(job.name.length * 7) % 250}`,
    `INFO Client: queue: ${job.queue}, start time: ${job.create_time}, final status: UNDEFINED`,
    `INFO Client: tracking URL: https://dli.cn-north-4.myhuaweicloud.com/proxy/${app}/`,
    `INFO Client: user: ${job.owner}`,
    `INFO Client: Application report for ${app} (state: ${job.state.toUpperCase()})`,
  ];
  let submitted: Record<string, unknown> = {};
  try {
    submitted = JSON.parse(job.req_body) as Record<string, unknown>;
  } catch {
    // a body set by hand may be any text: keep nothing of it
  }
  const body: Record<string, unknown> = {
    ...submitted,
    cluster_name: job.cluster_name,
    sc_type: job.sc_type,
    args: ["--date", "2026-01-01", "--input", `obs://jobs-bucket/input/${job.name}/`, "--mode", "overwrite"],
    jars: [`obs://jobs-bucket/lib/${job.name}-deps.jar`, "obs://jobs-bucket/lib/common-utils-2.3.1.jar"],
    files: [`obs://jobs-bucket/conf/${job.name}.properties`],
    modules: ["sys.datasource.hbase", "sys.datasource.rds"],
    driverMemory: "4G",
    driverCores: 2,
    executorMemory: "8G",
    executorCores: 4,
    numExecutors: 6,
    conf: {} as Record<string, string>,
  };
  const conf = body.conf as Record<string, string>;
  for (let i = 0; JSON.stringify(body).length < REQ_BODY_BYTES; i++) {
    conf[`spark.sql.custom.setting_${String(i).padStart(2, "0")}`] = `value-${job.id.slice(0, 8)}-${i}`;
  }
  const heavy = { key, log, req_body: JSON.stringify(body) };
  sparkCache.set(job, heavy);
  return heavy;
}

const flinkCache = new WeakMap<FlinkJobRecord, { key: string; fields: Record<string, unknown> }>();

/** The Jobs table's other fields, for `show_detail` false (list) or true (details). */
export function heavyFlink(job: FlinkJobRecord, showDetail: boolean): Record<string, unknown> {
  const key = `${job.job_id}\u0000${job.job_type}\u0000${job.name}\u0000${showDetail}`;
  const cached = flinkCache.get(job);
  if (cached?.key === key) return cached.fields;
  const jar = job.job_type === "flink_jar_job";
  const fields: Record<string, unknown> = {
    edge_group_ids: [],
    savepoint_path: `obs://flink-bucket/savepoints/${job.job_id}/`,
  };
  if (showDetail) {
    fields.entrypoint_args = jar
      ? `--job ${job.name} --parallelism 4 --checkpoint obs://flink-bucket/ckpt`
      : "";
  } else {
    fields.sql_body = jar
      ? ""
      : `CREATE TABLE src_${job.job_id} (id BIGINT, payload STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'kafka', 'topic' = '${job.name}', 'properties.bootstrap.servers' = 'kafka-0:9092,kafka-1:9092,kafka-2:9092', 'format' = 'json');\nCREATE TABLE sink_${job.job_id} (id BIGINT, cnt BIGINT, window_end TIMESTAMP(3)) WITH ('connector' = 'jdbc', 'url' = 'jdbc:mysql://rds-0:3306/metrics', 'table-name' = '${job.name}_agg');\nINSERT INTO sink_${job.job_id} SELECT id, COUNT(*), TUMBLE_END(ts, INTERVAL '1' MINUTE) FROM src_${job.job_id} GROUP BY id, TUMBLE(ts, INTERVAL '1' MINUTE);`;
    fields.main_class = jar ? "com.example.streaming.Main" : "";
    fields.execution_graph = `{"nodes":[{"id":1,"type":"Source: src_${job.job_id}","parallelism":4},{"id":2,"type":"GroupWindowAggregate","parallelism":4},{"id":3,"type":"Sink: sink_${job.job_id}","parallelism":2}],"edges":[{"source":1,"target":2,"ship_strategy":"HASH"},{"source":2,"target":3,"ship_strategy":"REBALANCE"}]}`;
    fields.job_config = {
      checkpoint_enabled: true,
      checkpoint_mode: "exactly_once",
      checkpoint_interval: 60,
      log_enabled: true,
      obs_bucket: "flink-bucket",
      smn_topic: `flink_alarm_${job.queue_name}`,
      root_id: job.root_id,
      edge_group_ids: [],
      manager_cu_number: 1,
      cu_number: 8,
      parallel_number: 4,
      restart_when_exception: true,
      idle_state_retention: 3600,
      udf_jar_url: jar ? "" : "flink-udfs-1.4.0.jar",
      dirty_data_strategy: "2:obs://flink-bucket/dirty/",
      entrypoint: jar ? `${job.name}.jar` : "",
      dependency_jars: ["flink-connector-kafka-1.15.jar", "mysql-connector-8.0.33.jar"],
      dependency_files: [`${job.name}.properties`],
      executor_number: 3,
      executor_cu_number: 2,
      resume_checkpoint: true,
      runtime_config:
        '[{"key":"table.exec.state.ttl","value":"3600000"},{"key":"pipeline.object-reuse","value":"true"}]',
      graph_editor_enabled: job.graph_editor_enabled,
      graph_editor_data: "",
      resume_max_num: 5,
      checkpoint_path: `obs://flink-bucket/checkpoints/${job.job_id}/`,
      config_url: "",
      tm_cus: 1,
      tm_slot_num: 2,
      image: "",
      feature: "basic",
      flink_version: "1.15",
      operator_config:
        '{"operator_list":[{"id":"1","parallelism":4},{"id":"2","parallelism":4},{"id":"3","parallelism":2}]}',
      static_estimator_config: '{"operator_list":[{"id":"1","cu":2},{"id":"2","cu":4},{"id":"3","cu":2}]}',
      real_cu_number: 0,
    };
  }
  flinkCache.set(job, { key, fields });
  return fields;
}

const FOLDERS = [
  "warehouse/ods/finance/ledger",
  "warehouse/dwd/orders/cn_north_4",
  "warehouse/dws/daily_aggregates/region",
  "reports/monthly/management/dashboards",
];

/** A long folder path in place of the short one. */
export function heavyDataArtsPath(job: DataArtsJobRecord): string {
  const folder = FOLDERS[job.name.length % FOLDERS.length] as string;
  return `/${folder}/${job.owner}/${job.jobType.toLowerCase()}/scheduled_jobs_group_${job.priority}${job.path}`;
}
