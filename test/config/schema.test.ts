import { describe, expect, test } from "vitest";
import { buildConfig, ConfigError } from "../../src/config/load.js";
import type { ExporterConfig } from "../../src/config/types.js";

// A secret that must never appear in any message, whatever is wrong around it.
const SECRET = "Zq9-very-secret-SK-value";

function minimalTarget(): Record<string, unknown> {
  return {
    name: "prod",
    region: "cn-north-4",
    project_id: "0123456789abcdef0123456789abcdef",
    auth: { access_key: "AKEXAMPLE", secret_key: SECRET },
  };
}

function withTarget(changes: Record<string, unknown>): Record<string, unknown> {
  return { targets: [{ ...minimalTarget(), ...changes }] };
}

function problemsOf(raw: unknown, env: Record<string, string> = {}): readonly string[] {
  try {
    buildConfig(raw, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.message).not.toContain(SECRET);
    expect(configError.message).not.toContain("\n");
    for (const problem of configError.problems) expect(problem).not.toContain(SECRET);
    return configError.problems;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  test("a minimal file gets every documented default", () => {
    const config = buildConfig({ targets: [minimalTarget()] }, {});
    expect(config).toEqual<ExporterConfig>({
      server: {
        listenAddress: "0.0.0.0:9873",
        metricsPath: "/metrics",
        webConfigFile: "",
        unauthenticatedPaths: ["/healthz"],
      },
      poll: {
        schedule: "0 * * * * *",
        requestTimeoutMs: 30_000,
        concurrency: 4,
        pageSize: 100,
        staleAfterMs: 300_000,
        maxRetries: 3,
        maxResponseBytes: 64 * 1024 * 1024,
      },
      metrics: { stateSeries: "all", maxSeriesPerSource: 500_000 },
      targets: [
        {
          name: "prod",
          region: "cn-north-4",
          projectId: "0123456789abcdef0123456789abcdef",
          auth: { type: "aksk", accessKey: "AKEXAMPLE", secretKey: SECRET },
          endpoints: {
            dli: "https://dli.cn-north-4.myhuaweicloud.com",
            dataarts: "https://dayu-dlf.cn-north-4.myhuaweicloud.com",
          },
          spark: {
            enabled: true,
            lookbackMs: 86_400_000,
            details: true,
            detailsPerPoll: 50,
            finishedRetentionMs: 3_600_000,
          },
          flink: { enabled: true },
          dataarts: { enabled: true, workspaces: [], jobTypes: ["BATCH", "REAL_TIME"], pagination: "auto" },
        },
      ],
      sharding: { shard: 0, totalShards: 1, shardFromHostname: false },
      pipelines: { maxPerSource: 20_000, failingThreshold: 3, expectations: [] },
      state: { file: "" },
    });
  });

  test("empty sections (`spark:` with nothing under it) mean the defaults", () => {
    const config = buildConfig(
      { server: null, poll: null, targets: [{ ...minimalTarget(), spark: null }] },
      {},
    );
    expect(config.server.metricsPath).toBe("/metrics");
    expect(config.targets[0]?.spark.lookbackMs).toBe(86_400_000);
  });

  test("every key can be set", () => {
    const config = buildConfig(
      {
        server: {
          listen_address: "127.0.0.1:0",
          metrics_path: "/probe/metrics",
          web_config_file: "/etc/web.yml",
          unauthenticated_paths: ["/healthz", "/readyz"],
        },
        poll: {
          schedule: "*/30 * * * * *",
          request_timeout: "10s",
          concurrency: 8,
          page_size: 1000,
          stale_after: "10m",
          max_retries: 0,
          max_response_bytes: "16MiB",
        },
        metrics: { state_series: "active", max_series_per_source: 1000 },
        targets: [
          {
            name: "dr.site_2",
            region: "ap-southeast-3",
            project_id: "abc",
            auth: { type: "metadata", endpoint: "http://127.0.0.1:8080/" },
            endpoints: { dli: "http://127.0.0.1:1234/", dataarts: "https://proxy.example.com/dlf" },
            spark: {
              enabled: false,
              lookback: "2d",
              details: false,
              details_per_poll: 5,
              finished_retention: "0s",
            },
            flink: { enabled: false },
            dataarts: {
              enabled: false,
              workspaces: ["ws1", "ws2"],
              job_types: ["REAL_TIME"],
              pagination: "offset",
            },
          },
        ],
      },
      {},
    );
    expect(config.server).toEqual({
      listenAddress: "127.0.0.1:0",
      metricsPath: "/probe/metrics",
      webConfigFile: "/etc/web.yml",
      unauthenticatedPaths: ["/healthz", "/readyz"],
    });
    expect(config.poll).toEqual({
      schedule: "*/30 * * * * *",
      requestTimeoutMs: 10_000,
      concurrency: 8,
      pageSize: 1000,
      staleAfterMs: 600_000,
      maxRetries: 0,
      maxResponseBytes: 16 * 1024 * 1024,
    });
    expect(config.metrics).toEqual({ stateSeries: "active", maxSeriesPerSource: 1000 });
    expect(config.targets[0]).toEqual({
      name: "dr.site_2",
      region: "ap-southeast-3",
      projectId: "abc",
      auth: { type: "metadata", endpoint: "http://127.0.0.1:8080" },
      endpoints: { dli: "http://127.0.0.1:1234", dataarts: "https://proxy.example.com/dlf" },
      spark: {
        enabled: false,
        lookbackMs: 172_800_000,
        details: false,
        detailsPerPoll: 5,
        finishedRetentionMs: 0,
      },
      flink: { enabled: false },
      dataarts: { enabled: false, workspaces: ["ws1", "ws2"], jobTypes: ["REAL_TIME"], pagination: "offset" },
    });
  });

  test.each([
    ["0 * * * * *", 300_000],
    ["*/10 * * * * *", 50_000],
    ["0 */15 * * * *", 4_500_000],
    ["0 0 9-17 * * *", 300_000], // not a plain every-N schedule: five minutes
  ])("stale_after defaults to five poll intervals of %s", (schedule, staleAfterMs) => {
    const config = buildConfig({ poll: { schedule }, targets: [minimalTarget()] }, {});
    expect(config.poll.staleAfterMs).toBe(staleAfterMs);
  });

  test("endpoints default from the region, one at a time", () => {
    const config = buildConfig(
      withTarget({ region: "eu-west-101", endpoints: { dataarts: "http://127.0.0.1:9/" } }),
      {},
    );
    expect(config.targets[0]?.endpoints).toEqual({
      dli: "https://dli.eu-west-101.myhuaweicloud.eu",
      dataarts: "http://127.0.0.1:9",
    });
  });

  test("file-based secrets and a security token", () => {
    const config = buildConfig(
      withTarget({
        auth: { access_key_file: "/s/ak", secret_key_file: "/s/sk", security_token_file: "/s/token" },
      }),
      {},
    );
    expect(config.targets[0]?.auth).toEqual({
      type: "aksk",
      accessKeyFile: "/s/ak",
      secretKeyFile: "/s/sk",
      securityTokenFile: "/s/token",
    });
  });

  test("metadata credentials default to the ECS metadata address", () => {
    const config = buildConfig(withTarget({ auth: { type: "metadata" } }), {});
    expect(config.targets[0]?.auth).toEqual({ type: "metadata", endpoint: "http://169.254.169.254" });
  });
});

// Each row: a config, and the first problem exactly as the user reads it.
const INVALID: Array<[string, unknown, string]> = [
  ["empty object", {}, "targets: missing; expected a list of targets"],
  ["targets not a list", { targets: "prod" }, "targets: text given; expected a list of targets"],
  ["no targets", { targets: [] }, "targets: empty list; expected at least one target"],
  ["top level a list", [1], "(top level): a list given; expected a mapping with at least a targets list"],
  [
    "misspelt top-level key",
    { targets: [minimalTarget()], polls: {} },
    "polls: unknown key; did you mean poll? expected one of server, poll, metrics, targets, sharding, pipelines, state",
  ],
  [
    "misspelt nested key",
    withTarget({ spark: { lookbak: "1h" } }),
    "targets[0].spark.lookbak: unknown key; did you mean lookback? expected one of enabled, lookback, details, details_per_poll, finished_retention",
  ],
  [
    "section not a mapping",
    { server: "x", targets: [minimalTarget()] },
    "server: text given; expected a mapping of keys",
  ],
  // server
  [
    "listen_address without port",
    { server: { listen_address: "0.0.0.0" }, targets: [minimalTarget()] },
    'server.listen_address: "0.0.0.0": no port; expected HOST:PORT with a port from 0 to 65535, e.g. 0.0.0.0:9873 or [::]:9873',
  ],
  [
    "listen_address port too big",
    { server: { listen_address: ":70000" }, targets: [minimalTarget()] },
    'server.listen_address: ":70000": port out of range; expected HOST:PORT with a port from 0 to 65535, e.g. 0.0.0.0:9873 or [::]:9873',
  ],
  [
    "metrics_path without slash",
    { server: { metrics_path: "metrics" }, targets: [minimalTarget()] },
    'server.metrics_path: "metrics" given; expected a URL path starting with /, e.g. /metrics',
  ],
  [
    "web_config_file a number",
    { server: { web_config_file: 1 }, targets: [minimalTarget()] },
    "server.web_config_file: a number given; expected a file path",
  ],
  // poll
  [
    "bad schedule",
    { poll: { schedule: "every minute" }, targets: [minimalTarget()] },
    'poll.schedule: invalid cron expression "every minute" (expected 5 or 6 fields but got 2); expected 5 or 6 fields (seconds first), e.g. "0 * * * * *" for every minute',
  ],
  [
    "bad request_timeout",
    { poll: { request_timeout: "30" }, targets: [minimalTarget()] },
    'poll.request_timeout: invalid duration "30"; expected a duration such as 30s, 5m, 1h or 1h30m',
  ],
  [
    "number as duration",
    { poll: { request_timeout: 30 }, targets: [minimalTarget()] },
    "poll.request_timeout: a number given; expected a duration such as 30s, 5m, 1h or 1h30m",
  ],
  [
    "zero request_timeout",
    { poll: { request_timeout: "0s" }, targets: [minimalTarget()] },
    'poll.request_timeout: "0s" given; expected a duration above zero',
  ],
  [
    "zero stale_after",
    { poll: { stale_after: "0" }, targets: [minimalTarget()] },
    'poll.stale_after: "0" given; expected a duration above zero',
  ],
  [
    "concurrency 0",
    { poll: { concurrency: 0 }, targets: [minimalTarget()] },
    "poll.concurrency: 0 given; expected a whole number from 1 to 64",
  ],
  [
    "concurrency 65",
    { poll: { concurrency: 65 }, targets: [minimalTarget()] },
    "poll.concurrency: 65 given; expected a whole number from 1 to 64",
  ],
  [
    "page_size 1001",
    { poll: { page_size: 1001 }, targets: [minimalTarget()] },
    "poll.page_size: 1001 given; expected a whole number from 1 to 1000",
  ],
  [
    "page_size fractional",
    { poll: { page_size: 10.5 }, targets: [minimalTarget()] },
    "poll.page_size: 10.5 given; expected a whole number from 1 to 1000",
  ],
  [
    "page_size as text",
    { poll: { page_size: "100" }, targets: [minimalTarget()] },
    "poll.page_size: text given; expected a whole number from 1 to 1000",
  ],
  [
    "max_retries negative",
    { poll: { max_retries: -1 }, targets: [minimalTarget()] },
    "poll.max_retries: -1 given; expected a whole number from 0 to 10",
  ],
  [
    "max_response_bytes decimal unit",
    { poll: { max_response_bytes: "64MB" }, targets: [minimalTarget()] },
    'poll.max_response_bytes: "64MB" given; expected a number of bytes or a size such as 512KiB, 64MiB, 1GiB, at least 1KiB',
  ],
  // metrics
  [
    "state_series unknown",
    { metrics: { state_series: "some" }, targets: [minimalTarget()] },
    'metrics.state_series: "some" given; expected one of all, active',
  ],
  [
    "max_series_per_source 0",
    { metrics: { max_series_per_source: 0 }, targets: [minimalTarget()] },
    "metrics.max_series_per_source: 0 given; expected a whole number from 1 to 100000000",
  ],
  // targets
  [
    "duplicate target names",
    { targets: [minimalTarget(), minimalTarget()] },
    'targets[1].name: "prod" is used by an earlier target; expected unique names',
  ],
  [
    "invalid target name",
    withTarget({ name: "prod east" }),
    'targets[0].name: "prod east" given; expected 1 to 63 letters, digits, _, . or -, starting with a letter or digit',
  ],
  [
    "missing name",
    withTarget({ name: undefined }),
    "targets[0].name: missing; expected 1 to 63 letters, digits, _, . or -, starting with a letter or digit",
  ],
  [
    "missing region",
    withTarget({ region: undefined }),
    "targets[0].region: missing; expected a region id such as cn-north-4",
  ],
  [
    "empty region",
    withTarget({ region: "" }),
    "targets[0].region: empty; expected a region id such as cn-north-4",
  ],
  [
    "region with a dot",
    withTarget({ region: "cn-north-4.evil.com" }),
    'targets[0].region: "cn-north-4.evil.com" given; expected a region id such as cn-north-4',
  ],
  [
    "empty project_id",
    withTarget({ project_id: "" }),
    "targets[0].project_id: empty; expected the project id of the region, e.g. 0123456789abcdef0123456789abcdef",
  ],
  [
    "project_id with a slash",
    withTarget({ project_id: "abc/def" }),
    "targets[0].project_id: invalid value; expected the project id of the region, e.g. 0123456789abcdef0123456789abcdef",
  ],
  [
    "endpoint not a URL",
    withTarget({ endpoints: { dli: "dli.cn-north-4.myhuaweicloud.com" } }),
    'targets[0].endpoints.dli: "dli.cn-north-4.myhuaweicloud.com" is not a URL; expected an http(s) URL such as https://dli.cn-north-4.myhuaweicloud.com',
  ],
  [
    "endpoint ftp",
    withTarget({ endpoints: { dataarts: "ftp://x.example.com" } }),
    'targets[0].endpoints.dataarts: scheme "ftp" given; expected an http(s) URL such as https://dayu-dlf.cn-north-4.myhuaweicloud.com',
  ],
  [
    "endpoint with a query",
    withTarget({ endpoints: { dli: "https://x.example.com/?a=1" } }),
    'targets[0].endpoints.dli: "https://x.example.com/?a=1" has a query or fragment; expected an http(s) URL such as https://dli.cn-north-4.myhuaweicloud.com',
  ],
  [
    "endpoint with credentials is not echoed",
    withTarget({ endpoints: { dli: `https://user:${SECRET}@x.example.com` } }),
    "targets[0].endpoints.dli: credentials in the URL; expected an http(s) URL such as https://dli.cn-north-4.myhuaweicloud.com",
  ],
  [
    "spark lookback",
    withTarget({ spark: { lookback: "24x" } }),
    'targets[0].spark.lookback: invalid duration "24x"; expected a duration such as 30s, 5m, 1h or 1h30m',
  ],
  [
    "spark enabled as text",
    withTarget({ spark: { enabled: "yes" } }),
    "targets[0].spark.enabled: text given; expected true or false",
  ],
  [
    "spark details_per_poll 0",
    withTarget({ spark: { details_per_poll: 0 } }),
    "targets[0].spark.details_per_poll: 0 given; expected a whole number from 1 to 10000",
  ],
  [
    "flink unknown key",
    withTarget({ flink: { enable: true } }),
    "targets[0].flink.enable: unknown key; did you mean enabled? expected one of enabled",
  ],
  [
    "duplicate workspaces",
    withTarget({ dataarts: { workspaces: ["a", "b", "a"] } }),
    'targets[0].dataarts.workspaces: "a" listed twice; expected a list of distinct workspace ids',
  ],
  [
    "empty workspace",
    withTarget({ dataarts: { workspaces: ["a", ""] } }),
    "targets[0].dataarts.workspaces: item 2: empty; expected a workspace id",
  ],
  [
    "workspaces not a list",
    withTarget({ dataarts: { workspaces: "a" } }),
    "targets[0].dataarts.workspaces: text given; expected a list of distinct workspace ids",
  ],
  [
    "empty job_types",
    withTarget({ dataarts: { job_types: [] } }),
    "targets[0].dataarts.job_types: empty list; expected a non-empty list of BATCH and/or REAL_TIME",
  ],
  [
    "unknown job type",
    withTarget({ dataarts: { job_types: ["BATCH", "STREAM"] } }),
    'targets[0].dataarts.job_types: item 2: "STREAM" given; expected one of BATCH, REAL_TIME',
  ],
  [
    "duplicate job type",
    withTarget({ dataarts: { job_types: ["BATCH", "BATCH"] } }),
    'targets[0].dataarts.job_types: "BATCH" listed twice; expected a non-empty list of BATCH and/or REAL_TIME',
  ],
  [
    "pagination unknown",
    withTarget({ dataarts: { pagination: "cursor" } }),
    'targets[0].dataarts.pagination: "cursor" given; expected one of auto, page, offset',
  ],
  // auth
  [
    "no auth",
    withTarget({ auth: undefined }),
    "targets[0].auth.access_key: missing; expected access_key or access_key_file (or type: metadata for temporary keys from the ECS metadata service)",
  ],
  [
    "no secret key",
    withTarget({ auth: { access_key: "AK" } }),
    "targets[0].auth.secret_key: missing; expected secret_key or secret_key_file (or type: metadata for temporary keys from the ECS metadata service)",
  ],
  [
    "secret key inline and as a file",
    withTarget({ auth: { access_key: "AK", secret_key: SECRET, secret_key_file: "/s/sk" } }),
    "targets[0].auth.secret_key_file: both secret_key and secret_key_file are set; expected only one of them",
  ],
  [
    "token inline and as a file",
    withTarget({
      auth: { access_key: "AK", secret_key: SECRET, security_token: SECRET, security_token_file: "/t" },
    }),
    "targets[0].auth.security_token_file: both security_token and security_token_file are set; expected only one of them",
  ],
  [
    "keys with type metadata",
    withTarget({ auth: { type: "metadata", secret_key: SECRET } }),
    "targets[0].auth.secret_key: not used with type: metadata; expected it removed, or type: aksk",
  ],
  [
    "metadata endpoint with aksk",
    withTarget({ auth: { access_key: "AK", secret_key: SECRET, endpoint: "http://169.254.169.254" } }),
    "targets[0].auth.endpoint: only used with type: metadata; expected it removed",
  ],
  [
    "unknown auth type",
    withTarget({ auth: { type: "token" } }),
    'targets[0].auth.type: "token" given; expected one of aksk, metadata',
  ],
  [
    "numeric secret key (unquoted in YAML)",
    withTarget({ auth: { access_key: "AK", secret_key: 123456789 } }),
    "targets[0].auth.secret_key: a number given; expected the secret access key (SK) (quote it in YAML if it looks like a number)",
  ],
  [
    "secret key as a mapping",
    withTarget({ auth: { access_key: "AK", secret_key: { value: SECRET } } }),
    "targets[0].auth.secret_key: a mapping given; expected the secret access key (SK) (quote it in YAML if it looks like a number)",
  ],
  [
    "secret misplaced as an unknown key's value",
    withTarget({ auth: { access_key: "AK", secret_key: "x", secretkey: SECRET } }),
    "targets[0].auth.secretkey: unknown key; did you mean secret_key? expected one of type, endpoint, access_key, secret_key, security_token, access_key_file, secret_key_file, security_token_file",
  ],
  [
    "a secret written where a key should be is not echoed",
    withTarget({ auth: { access_key: "AK", secret_key: "x", [SECRET]: null } }),
    "targets[0].auth: an unknown key (not shown: it may hold a secret); expected one of type, endpoint, access_key, secret_key, security_token, access_key_file, secret_key_file, security_token_file",
  ],
];

describe("validation names the key, what was wrong and what was expected", () => {
  test.each(INVALID)("%s", (_, raw, firstProblem) => {
    const problems = problemsOf(raw);
    expect(problems[0]).toBe(firstProblem);
  });

  test("the message is one line: where, the first problem, and the keys of the others", () => {
    const raw = withTarget({ spark: { lookback: "24x" }, flink: { enabled: 1 } });
    let message = "";
    try {
      buildConfig(raw, {}, { source: "config file /etc/x.yml" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      'invalid configuration in config file /etc/x.yml: targets[0].spark.lookback: invalid duration "24x"; expected a duration such as 30s, 5m, 1h or 1h30m (and 1 more: targets[0].flink.enabled)',
    );
  });

  test("every problem is collected, not only the first", () => {
    const problems = problemsOf({
      poll: { page_size: 0, concurrency: 100 },
      targets: [{ ...minimalTarget(), region: "" }],
    });
    expect(problems.map((problem) => problem.split(": ")[0])).toEqual([
      "poll.concurrency",
      "poll.page_size",
      "targets[0].region",
    ]);
  });
});
