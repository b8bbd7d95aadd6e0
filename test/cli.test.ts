import { readFileSync } from "node:fs";
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
    // The exporter-toolkit spellings are the primary ones; the v1 ones above are aliases.
    [["--config.file", "c.yml"], { configPath: "c.yml" }],
    [["--web.listen-address=127.0.0.1:0"], { listenAddress: "127.0.0.1:0" }],
    [["--web.config.file", "web.yml"], { webConfigFile: "web.yml" }],
    [["--web.telemetry-path", "/custom/metrics"], { telemetryPath: "/custom/metrics" }],
    [["--log.level", "warn"], { logLevel: "warn" }],
    [["--log.format", "logfmt"], { logFormat: "logfmt" }],
    [["--log.format=json"], { logFormat: "json" }],
    [
      ["check", "--config.file", "c.yml", "--log.level", "debug"],
      { command: "check", configPath: "c.yml", logLevel: "debug" },
    ],
  ])("%j", (argv, expected) => {
    expect(parseCommandLine(argv)).toEqual({ ...DEFAULTS, ...expected });
  });
});

describe("bad command lines: one message naming the flag", () => {
  test.each<[string[], string]>([
    [
      ["--bogus"],
      "unknown flag --bogus; expected one of --config.file, --demo, --web.listen-address, --web.config.file, --web.telemetry-path, --log.level, --log.format, --shard, --total-shards, --shard-from-hostname, --version, --help, -h",
    ],
    [
      ["-x"],
      "unknown flag -x; expected one of --config.file, --demo, --web.listen-address, --web.config.file, --web.telemetry-path, --log.level, --log.format, --shard, --total-shards, --shard-from-hostname, --version, --help, -h",
    ],
    [
      ["-hd"],
      "unknown flag -d; expected one of --config.file, --demo, --web.listen-address, --web.config.file, --web.telemetry-path, --log.level, --log.format, --shard, --total-shards, --shard-from-hostname, --version, --help, -h",
    ],
    [["--config"], "--config needs a value; expected --config FILE"],
    [["--config", "--demo"], "--config needs a value; expected --config FILE"],
    [["--config="], "--config has an empty value; expected --config FILE"],
    [["--listen-address"], "--listen-address needs a value; expected --listen-address HOST:PORT"],
    [["--log-level"], "--log-level needs a value; expected --log-level LEVEL"],
    [["--demo=yes"], "--demo takes no value; expected --demo alone"],
    [["--config", "a.yml", "--config", "b.yml"], "--config given more than once; expected it once"],
    [["--config", "a.yml", "--demo"], "--demo and --config cannot be combined; expected one of them"],
    [
      ["--config.file", "a.yml", "--demo"],
      "--demo and --config.file cannot be combined; expected one of them",
    ],
    [
      ["--config", "a.yml", "--config.file", "b.yml"],
      "--config.file given more than once (also as --config); expected it once",
    ],
    [["--log.level", "loud"], `--log.level "loud" is not a level; expected one of ${LOG_LEVELS.join(", ")}`],
    [["--log.format", "text"], '--log.format "text" is not a format; expected one of json, logfmt'],
    [["--log.format"], "--log.format needs a value; expected --log.format FORMAT"],
    [
      ["--web.telemetry-path", "metrics"],
      '--web.telemetry-path "metrics" is not a URL path; expected a path starting with /, e.g. /metrics',
    ],
    [
      ["--web.listen-address", "9873"],
      '--web.listen-address "9873": no port; expected HOST:PORT with a port from 0 to 65535, e.g. 0.0.0.0:9873 or [::]:9873',
    ],
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
    "--config.file FILE",
    "[--config]",
    "--demo",
    "--web.listen-address HOST:PORT",
    "[--listen-address]",
    "--web.config.file FILE",
    "--web.telemetry-path PATH",
    "--log.level LEVEL",
    "[--log-level]",
    "--log.format FORMAT",
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

test("the help text lists the exit statuses 0, 1 and 2", () => {
  const section = HELP_TEXT.slice(HELP_TEXT.indexOf("Exit status:"));
  for (const status of ["0", "1", "2"]) expect(section).toMatch(new RegExp(`^  ${status}  \\S`, "m"));
});

test("docs/configuration.md and the README list every flag and alias the parser accepts", () => {
  const docs = readFileSync(new URL("../docs/configuration.md", import.meta.url), "utf8");
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const flags = [...HELP_TEXT.matchAll(/(?:^|\s|\[)(--[a-z][a-z.-]+)/g)].map((m) => m[1] as string);
  expect(flags).toContain("--web.telemetry-path");
  for (const flag of new Set(flags)) {
    expect(docs, flag).toContain(`\`${flag}`);
    expect(readme, flag).toContain(`\`${flag}`);
  }
});
