// The built binary as a user runs it: --help and --version, one clear line and status 2 for a
// bad flag, a bad file or a missing environment (before any port is bound), `check`, and
// `--demo` serving all three sources.

import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseExposition } from "../helpers/exposition-parser.js";
import {
  cleanUp,
  eventually,
  httpGet,
  REPO_ROOT,
  runToExit,
  simulatorConfig,
  startServing,
  startTestSimulator,
  tempDir,
  writeTempFile,
} from "../helpers/process.js";

// Runs to exit are awaited by each test (and killed on timeout), so the tables run
// concurrently; the serving tests below are serial and clean up after each one.
afterAll(cleanUp);

const FLAGS = ["--config", "--demo", "--listen-address", "--log-level", "--version", "--help", "-h"];

/** A bad start ends with status 2, one line on stderr, and no port bound. */
function expectUsageFailure(result: Awaited<ReturnType<typeof runToExit>>): string {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).not.toContain("listening");
  const lines = result.stderr.split("\n").filter((l) => l !== "");
  expect(lines, result.stderr).toHaveLength(1);
  return lines[0] as string;
}

describe("--help and --version", () => {
  it.each([["--help"], ["-h"]])("%s prints the usage with every flag and exits 0", async (flag) => {
    const result = await runToExit([flag]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    for (const name of [...FLAGS, "check", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_REGION"]) {
      expect(result.stdout).toContain(name);
    }
    expect(result.stdout).toMatch(/^Usage:/);
  });

  it("--version prints the version of package.json and exits 0", async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    const result = await runToExit(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^huaweicloud-job-exporter ${version.replace(/\./g, "\\.")}\\b`),
    );
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
  });
});

describe.concurrent("bad flags: status 2 and one line naming the flag", () => {
  it.each<[string, string[], RegExp]>([
    ["an unknown flag", ["--bogus"], /unknown flag --bogus/],
    ["a missing value", ["--config"], /--config needs a value/],
    ["a flag as the value", ["--config", "--demo"], /--config needs a value/],
    ["a bad level", ["--log-level", "loud"], /--log-level "loud" is not a level; expected one of trace/],
    ["a bad address", ["--listen-address", "localhost"], /--listen-address "localhost"/],
    ["a port out of range", ["--listen-address", "127.0.0.1:70000"], /--listen-address "127\.0\.0\.1:70000"/],
    ["an unknown command", ["serve"], /unknown command "serve"/],
    ["--demo with --config", ["--demo", "--config", "x.yml"], /--demo and --config cannot be combined/],
  ])("%s", async (_name, args, expected) => {
    const line = expectUsageFailure(await runToExit(args));
    expect(line).toMatch(/^invalid command line: /);
    expect(line).toMatch(expected);
    expect(line).toMatch(/; see --help$/);
  });
});

// Bad files name the key. The port the file asks for is held by this test: an exporter that
// bound before validating would fail on it (status 1, "cannot start") instead.
describe.concurrent("bad configuration files: status 2, one line naming the key, no port bound", () => {
  let held: Server;
  let heldPort = 0;
  beforeAll(async () => {
    held = createServer();
    await new Promise<void>((done) => held.listen(0, "127.0.0.1", done));
    heldPort = (held.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((done) => held.close(() => done()));
  });

  const target = (auth = "access_key: AK0123\n      secret_key: not-a-real-secret") => `
  - name: prod
    region: cn-north-4
    project_id: "0123456789abcdef0123456789abcdef"
    auth:
      ${auth}`;
  const file = (body: string) => `server:\n  listen_address: 127.0.0.1:${heldPort}\n${body}\n`;

  const CASES: Array<[string, () => string, RegExp[]]> = [
    [
      "a YAML syntax error, with its line",
      () => file(`targets:\n  - name: "prod\n    region: cn-north-4`),
      [/^invalid YAML in config file .*config\.yml: line \d+, column \d+: /, /expected valid YAML/],
    ],
    [
      "an unknown key",
      () => file(`targets:${target()}\n    spark:\n      lookbak: 1h`),
      [/targets\[0\]\.spark\.lookbak: unknown key; did you mean lookback\?/],
    ],
    [
      "a wrong type",
      () => file(`poll:\n  page_size: ten\ntargets:${target()}`),
      [/poll\.page_size: text given; expected a whole number/],
    ],
    [
      "a bad duration",
      () => file(`targets:${target()}\n    spark:\n      lookback: 24x`),
      [/targets\[0\]\.spark\.lookback: invalid duration "24x"; expected a duration/],
    ],
    [
      "duplicate target names",
      () => file(`targets:${target()}${target()}`),
      [/targets\[1\]\.name: "prod" is used by an earlier target; expected unique names/],
    ],
    [
      "an unset environment variable",
      () => file(`targets:${target(`access_key: AK0123\n      secret_key: ${"${"}HCJE_TEST_UNSET_SK}`)}`),
      [/targets\[0\]\.auth\.secret_key: environment variable HCJE_TEST_UNSET_SK is not set/],
    ],
    [
      "secret_key inline and as a file",
      () => {
        const skFile = writeTempFile("from-a-file\n", "sk");
        return file(
          `targets:${target(`access_key: AK0123\n      secret_key: inline\n      secret_key_file: ${skFile}`)}`,
        );
      },
      [
        /targets\[0\]\.auth\.secret_key(_file)?: both secret_key and secret_key_file are set; expected only one/,
      ],
    ],
    [
      "a secret file that does not exist",
      () => file(`targets:${target("access_key: AK0123\n      secret_key_file: /nonexistent/hcje-test/sk")}`),
      [/targets\[0\]\.auth\.secret_key_file: cannot read "\/nonexistent\/hcje-test\/sk" \(ENOENT\)/],
    ],
    ["an empty file", () => "", [/the configuration is empty; expected a mapping/]],
  ];

  it.each(CASES)("%s", async (_name, content, expected) => {
    const path = writeTempFile(content());
    const line = expectUsageFailure(await runToExit(["--config", path]));
    expect(line).not.toContain("cannot start");
    for (const pattern of expected) expect(line).toMatch(pattern);
  });

  it("a config file that does not exist", async () => {
    const path = join(tempDir(), "missing.yml");
    const line = expectUsageFailure(await runToExit(["--config", path]));
    expect(line).toContain(`cannot read ${path} (ENOENT); expected a readable YAML file`);
  });

  it("the same problems through `check`", async () => {
    const path = writeTempFile(file(`targets:${target()}\n    spark:\n      lookback: 24x`));
    const line = expectUsageFailure(await runToExit(["check", "--config", path]));
    expect(line).toMatch(/targets\[0\]\.spark\.lookback: invalid duration "24x"/);
  });
});

describe.concurrent("env-only mode (no --config)", () => {
  // Never started fully here: it would call the real cloud, and the network is not ours.
  it.each<[string, Record<string, string>, string[], string[]]>([
    [
      "nothing set",
      {},
      ["HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID", "HUAWEICLOUD_SDK_REGION"],
      [],
    ],
    [
      "only the keys set",
      { HUAWEICLOUD_SDK_AK: "AK0123", HUAWEICLOUD_SDK_SK: "sk-value" },
      ["HUAWEICLOUD_SDK_PROJECT_ID", "HUAWEICLOUD_SDK_REGION"],
      ["HUAWEICLOUD_SDK_AK,", "HUAWEICLOUD_SDK_SK,"],
    ],
    [
      "the region empty",
      {
        HUAWEICLOUD_SDK_AK: "AK0123",
        HUAWEICLOUD_SDK_SK: "sk-value",
        HUAWEICLOUD_SDK_PROJECT_ID: "0123456789abcdef0123456789abcdef",
        HUAWEICLOUD_SDK_REGION: "",
      },
      ["HUAWEICLOUD_SDK_REGION is not set"],
      ["HUAWEICLOUD_SDK_PROJECT_ID is", "HUAWEICLOUD_SDK_PROJECT_ID,"],
    ],
  ])("%s: status 2 naming exactly the missing variables", async (_name, env, named, notNamed) => {
    const line = expectUsageFailure(await runToExit(["--listen-address", "127.0.0.1:0"], { env }));
    expect(line).toMatch(/^no config file given and /);
    const missingPart = line.slice(0, line.indexOf("; expected"));
    for (const name of named) expect(line).toContain(name);
    for (const text of notNamed) expect(missingPart).not.toContain(text);
    expect(line).toContain("expected --config FILE, or HUAWEICLOUD_SDK_AK");
  });

  it("a malformed variable is named by its variable, not a config key", async () => {
    const line = expectUsageFailure(
      await runToExit([], {
        env: {
          HUAWEICLOUD_SDK_AK: "AK0123",
          HUAWEICLOUD_SDK_SK: "sk-value",
          HUAWEICLOUD_SDK_PROJECT_ID: "0123456789abcdef0123456789abcdef",
          HUAWEICLOUD_SDK_REGION: "North China 4",
        },
      }),
    );
    expect(line).toMatch(/^invalid environment \(no config file given\): HUAWEICLOUD_SDK_REGION: /);
  });
});

describe("check --config FILE", () => {
  afterEach(cleanUp);

  it("accepts a valid file, names its targets, serves nothing and exits 0", async () => {
    // The endpoints are a local simulator: `check` may call them, never the real cloud.
    const sim = await startTestSimulator({ churn: false, jobs: { spark: 3, flink: 2 } });
    const path = writeTempFile(simulatorConfig(sim, { target: { name: "checked-target" } }));
    const result = await runToExit(["check", "--config", path]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("checked-target");
    expect(result.stdout).toMatch(/valid/);
    expect(result.stdout).not.toContain('"msg":"listening"');
  });
});

describe("--demo", () => {
  afterEach(cleanUp);

  it("serves the three sources, becomes ready and lists the demo target", async () => {
    const { url } = await startServing(["--demo", "--listen-address", "127.0.0.1:0"]);
    const ready = await eventually(async () => {
      const r = await httpGet(`${url}/readyz`);
      return r.status === 200 ? r : undefined;
    }, "/readyz 200");
    expect(ready.body).toContain("ready");

    const metrics = await httpGet(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    const families = new Map(
      parseExposition(metrics.body, { allowEmptyLines: true }).map((f) => [f.name, f]),
    );
    for (const name of [
      "huaweicloud_dli_spark_job_state",
      "huaweicloud_dli_flink_job_status",
      "huaweicloud_dataarts_job_status",
    ]) {
      expect(families.get(name)?.samples.length, name).toBeGreaterThan(0);
    }
    const up = families.get("huaweicloud_job_exporter_up")?.samples ?? [];
    expect(up.map((s) => [s.labels.target, s.labels.source, s.value]).sort()).toEqual([
      ["demo", "dataarts", 1],
      ["demo", "flink", 1],
      ["demo", "spark", 1],
    ]);

    const page = await httpGet(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<td>demo<\/td><td>cn-north-4<\/td>/);
  });
});
