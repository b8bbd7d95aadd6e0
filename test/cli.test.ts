import { describe, expect, test } from "vitest";
import { type CommandLine, HELP_TEXT, parseCommandLine, UsageError } from "../src/cli.js";
import { LOG_LEVELS } from "../src/logger.js";

const DEFAULTS: CommandLine = { command: "run", demo: false, version: false, help: false };

describe("good command lines", () => {
  test.each<[string[], Partial<CommandLine>]>([
    [[], {}],
    [["--config", "/etc/exporter.yml"], { configPath: "/etc/exporter.yml" }],
    [["--config=exporter.yml"], { configPath: "exporter.yml" }],
    [["--demo"], { demo: true }],
    [["--demo", "--listen-address", "127.0.0.1:0"], { demo: true, listenAddress: "127.0.0.1:0" }],
    [["--listen-address=[::]:9873"], { listenAddress: "[::]:9873" }],
    [["--listen-address", ":9873"], { listenAddress: ":9873" }],
    [["--log-level", "debug"], { logLevel: "debug" }],
    [["--log-level=silent"], { logLevel: "silent" }],
    [["--version"], { version: true }],
    [["--help"], { help: true }],
    [["-h"], { help: true }],
    [["check"], { command: "check" }],
    [["check", "--config", "c.yml"], { command: "check", configPath: "c.yml" }],
    [["--config", "c.yml", "check"], { command: "check", configPath: "c.yml" }],
    [["check", "--demo"], { command: "check", demo: true }],
    [["--config=-odd-name.yml"], { configPath: "-odd-name.yml" }],
  ])("%j", (argv, expected) => {
    expect(parseCommandLine(argv)).toEqual({ ...DEFAULTS, ...expected });
  });
});

describe("bad command lines: one message naming the flag", () => {
  test.each<[string[], string]>([
    [
      ["--bogus"],
      "unknown flag --bogus; expected one of --config, --demo, --listen-address, --log-level, --shard, --total-shards, --shard-from-hostname, --version, --help, -h",
    ],
    [
      ["-x"],
      "unknown flag -x; expected one of --config, --demo, --listen-address, --log-level, --shard, --total-shards, --shard-from-hostname, --version, --help, -h",
    ],
    [
      ["-hd"],
      "unknown flag -d; expected one of --config, --demo, --listen-address, --log-level, --shard, --total-shards, --shard-from-hostname, --version, --help, -h",
    ],
    [["--config"], "--config needs a value; expected --config FILE"],
    [["--config", "--demo"], "--config needs a value; expected --config FILE"],
    [["--config="], "--config has an empty value; expected --config FILE"],
    [["--listen-address"], "--listen-address needs a value; expected --listen-address HOST:PORT"],
    [["--log-level"], "--log-level needs a value; expected --log-level LEVEL"],
    [["--demo=yes"], "--demo takes no value; expected --demo alone"],
    [["--config", "a.yml", "--config", "b.yml"], "--config given more than once; expected it once"],
    [["--config", "a.yml", "--demo"], "--demo and --config cannot be combined; expected one of them"],
    [["--log-level", "loud"], `--log-level "loud" is not a level; expected one of ${LOG_LEVELS.join(", ")}`],
    [["--log-level", "INFO"], `--log-level "INFO" is not a level; expected one of ${LOG_LEVELS.join(", ")}`],
    [
      ["--listen-address", "9873"],
      '--listen-address "9873": no port; expected HOST:PORT with a port from 0 to 65535, e.g. 0.0.0.0:9873 or [::]:9873',
    ],
    [
      ["--listen-address", "0.0.0.0:99999"],
      '--listen-address "0.0.0.0:99999": port out of range; expected HOST:PORT with a port from 0 to 65535, e.g. 0.0.0.0:9873 or [::]:9873',
    ],
    [["run"], 'unknown command "run"; expected check, or flags only'],
    [["exporter.yml"], 'unknown command "exporter.yml"; expected check, or flags only'],
    [["check", "extra"], 'unexpected argument "extra"; expected flags only after check'],
  ])("%j", (argv, problem) => {
    let caught: unknown;
    try {
      parseCommandLine(argv);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).message).toBe(`invalid command line: ${problem}; see --help`);
  });
});

test("the help text lists every flag, the check command and env-only mode", () => {
  for (const flag of [
    "--config FILE",
    "--demo",
    "--listen-address HOST:PORT",
    "--log-level LEVEL",
    "--version",
    "-h, --help",
  ]) {
    expect(HELP_TEXT).toContain(flag);
  }
  expect(HELP_TEXT).toMatch(/^\s+huaweicloud-job-exporter check /m);
  for (const variable of [
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "HUAWEICLOUD_SDK_REGION",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
  ]) {
    expect(HELP_TEXT).toContain(variable);
  }
  for (const level of LOG_LEVELS) expect(HELP_TEXT).toContain(level);
});
