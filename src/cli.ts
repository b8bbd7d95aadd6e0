// The command line. node's parseArgs reads the tokens; we check them ourselves so every mistake
// gets one message that names the flag, what was wrong and what was expected (the UsageError's
// message is the whole line printed before exiting with status 2).

import { parseArgs } from "node:util";
import { URL_PATH } from "./config/checks.js";
import { LISTEN_ADDRESS_EXPECTED, parseListenAddress } from "./config/listen-address.js";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "./logger.js";

export type Command = "run" | "check";

export const LOG_FORMATS: readonly LogFormat[] = ["json", "logfmt"];

export interface CommandLine {
  command: Command;
  configPath?: string;
  demo: boolean;
  listenAddress?: string;
  /** --web.config.file: overrides server.web_config_file. */
  webConfigFile?: string;
  /** --web.telemetry-path: overrides server.metrics_path. */
  telemetryPath?: string;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  /** --shard N: overrides sharding.shard. */
  shard?: number;
  /** --total-shards M: overrides sharding.total_shards. */
  totalShards?: number;
  /** --shard-from-hostname: the shard is the pod ordinal at the end of the host name. */
  shardFromHostname?: true;
  version: boolean;
  help: boolean;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const PROGRAM = "huaweicloud-job-exporter";

export const HELP_TEXT = `Usage:
  ${PROGRAM} [--config.file FILE] [flags]          run the exporter
  ${PROGRAM} --demo [flags]                        run it against the built-in simulator
  ${PROGRAM} check [--config.file FILE] [flags]    validate the configuration, then call each
                                                   endpoint of each target once and print a table

Flags (the Prometheus exporters' names; the older spellings in brackets still work):
  --config.file FILE                YAML configuration file (see docs/configuration.md)
                                    [--config]
  --demo                            serve metrics from the built-in simulator; no credentials needed
  --web.listen-address HOST:PORT    override server.listen_address (also with --demo); port 0
                                    picks a free port [--listen-address]
  --web.config.file FILE            override server.web_config_file (TLS and basic auth)
  --web.telemetry-path PATH         override server.metrics_path (default /metrics)
  --log.level LEVEL                 one of ${LOG_LEVELS.join(", ")} (default info) [--log-level]
  --log.format FORMAT               ${LOG_FORMATS.join(" or ")} lines on stdout (default json)
  --shard N                         poll only the targets of shard N (0-based; see docs/operations.md)
  --total-shards M                  processes sharing the targets (default 1: every target)
  --shard-from-hostname             shard = the pod ordinal ending the host name (StatefulSet)
  --version                         print the version and exit
  -h, --help                        print this help and exit

Without --config.file (and without --demo), one target named "default" is built from the
environment, as the official Huawei Cloud SDKs read it:
  HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID, HUAWEICLOUD_SDK_REGION
  (required) and HUAWEICLOUD_SDK_SECURITY_TOKEN (for temporary credentials).

Exit status:
  0  a clean shutdown (SIGTERM, SIGINT), --help or --version; check: every endpoint passed
  1  check: an endpoint failed; or the listen address cannot be bound (before any API request)
  2  a bad flag or configuration (one line on stderr names it), before any port is bound
`;

const FLAGS = {
  "config.file": { type: "string" },
  demo: { type: "boolean" },
  "web.listen-address": { type: "string" },
  "web.config.file": { type: "string" },
  "web.telemetry-path": { type: "string" },
  "log.level": { type: "string" },
  "log.format": { type: "string" },
  shard: { type: "string" },
  "total-shards": { type: "string" },
  "shard-from-hostname": { type: "boolean" },
  version: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type FlagName = keyof typeof FLAGS;

/** The v1 spellings, kept working (the configuration contract v2). */
const ALIASES: Readonly<Record<string, FlagName>> = {
  config: "config.file",
  "listen-address": "web.listen-address",
  "log-level": "log.level",
};

const PLACEHOLDER: Partial<Record<FlagName, string>> = {
  "config.file": "FILE",
  "web.listen-address": "HOST:PORT",
  "web.config.file": "FILE",
  "web.telemetry-path": "PATH",
  "log.level": "LEVEL",
  "log.format": "FORMAT",
  shard: "N",
  "total-shards": "M",
};

const COMMANDS: readonly string[] = ["check"];

const flagOf = (name: string): FlagName | undefined =>
  Object.hasOwn(FLAGS, name) ? (name as FlagName) : ALIASES[name];

const usage = (message: string) => new UsageError(`invalid command line: ${message}; see --help`);

/** parseArgs must know the aliases too, to read the value after `--config`. */
const PARSE_OPTIONS = {
  ...FLAGS,
  ...Object.fromEntries(Object.entries(ALIASES).map(([alias, name]) => [alias, FLAGS[name]])),
};

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const { tokens } = parseArgs({
    args: [...argv],
    options: PARSE_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const seen = new Map<FlagName, string | true>();
  // How the user spelled each flag, so a message names what they typed.
  const spelled = new Map<FlagName, string>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === "option-terminator") continue;
    const { rawName } = token;
    const name = flagOf(token.name);
    if (name === undefined) {
      throw usage(`unknown flag ${rawName}; expected one of --${Object.keys(FLAGS).join(", --")}, -h`);
    }
    const flag = `--${token.name}`;
    if (seen.has(name)) {
      const before = spelled.get(name);
      throw usage(
        `${flag} given more than once${before !== flag ? ` (also as ${before})` : ""}; expected it once`,
      );
    }
    spelled.set(name, flag);
    if (FLAGS[name].type === "boolean") {
      if (token.value !== undefined) throw usage(`${flag} takes no value; expected ${flag} alone`);
      seen.set(name, true);
      continue;
    }
    // `--config --demo` would otherwise read "--demo" as the file name.
    const expected = `${flag} ${PLACEHOLDER[name]}`;
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith("-"))) {
      throw usage(`${flag} needs a value; expected ${expected}`);
    }
    if (token.value === "") throw usage(`${flag} has an empty value; expected ${expected}`);
    seen.set(name, token.value);
  }

  const [first, ...extra] = positionals;
  let command: Command = "run";
  if (first !== undefined) {
    if (!COMMANDS.includes(first)) throw usage(`unknown command "${first}"; expected check, or flags only`);
    command = "check";
  }
  if (extra.length > 0) throw usage(`unexpected argument "${extra[0]}"; expected flags only after ${first}`);

  const line: CommandLine = {
    command,
    demo: seen.has("demo"),
    version: seen.has("version"),
    help: seen.has("help"),
  };
  readValues(line, seen, (name) => spelled.get(name) ?? `--${name}`);
  return line;
}

/** The flags' values, checked; `shown` is the spelling the user typed. */
function readValues(
  line: CommandLine,
  seen: ReadonlyMap<FlagName, string | true>,
  shown: (name: FlagName) => string,
): void {
  const text = (name: FlagName) => {
    const value = seen.get(name);
    return typeof value === "string" ? value : undefined;
  };
  const configPath = text("config.file");
  if (configPath !== undefined) line.configPath = configPath;
  if (line.demo && configPath !== undefined) {
    throw usage(`--demo and ${shown("config.file")} cannot be combined; expected one of them`);
  }

  const listenAddress = text("web.listen-address");
  if (listenAddress !== undefined) {
    const parsed = parseListenAddress(listenAddress);
    if ("problem" in parsed) {
      throw usage(
        `${shown("web.listen-address")} "${listenAddress}": ${parsed.problem}; expected ${LISTEN_ADDRESS_EXPECTED}`,
      );
    }
    line.listenAddress = listenAddress;
  }
  const webConfigFile = text("web.config.file");
  if (webConfigFile !== undefined) line.webConfigFile = webConfigFile;
  const telemetryPath = text("web.telemetry-path");
  if (telemetryPath !== undefined) {
    if (!URL_PATH.test(telemetryPath)) {
      throw usage(
        `--web.telemetry-path "${telemetryPath}" is not a URL path; expected a path starting with /, e.g. /metrics`,
      );
    }
    line.telemetryPath = telemetryPath;
  }

  if (seen.has("shard-from-hostname")) line.shardFromHostname = true;
  readSharding(line, text);

  const logLevel = text("log.level");
  if (logLevel !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
      throw usage(
        `${shown("log.level")} "${logLevel}" is not a level; expected one of ${LOG_LEVELS.join(", ")}`,
      );
    }
    line.logLevel = logLevel as LogLevel;
  }
  const logFormat = text("log.format");
  if (logFormat !== undefined) {
    if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) {
      throw usage(`--log.format "${logFormat}" is not a format; expected one of ${LOG_FORMATS.join(", ")}`);
    }
    line.logFormat = logFormat as LogFormat;
  }
}

function readSharding(line: CommandLine, text: (name: FlagName) => string | undefined): void {
  const wholeNumber = (name: FlagName, min: number, max: number) => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!/^\d{1,4}$/.test(value) || Number(value) < min || Number(value) > max) {
      throw usage(
        `--${name} "${value}" is not a whole number from ${min} to ${max}; expected --${name} ${PLACEHOLDER[name]}`,
      );
    }
    return Number(value);
  };
  const shard = wholeNumber("shard", 0, 999);
  const totalShards = wholeNumber("total-shards", 1, 1000);
  if (shard !== undefined) line.shard = shard;
  if (totalShards !== undefined) line.totalShards = totalShards;
  if (shard !== undefined && line.shardFromHostname) {
    throw usage("--shard and --shard-from-hostname cannot be combined; expected one of them");
  }
  if (shard !== undefined && totalShards !== undefined && shard >= totalShards) {
    throw usage(
      `--shard ${shard} is not below --total-shards ${totalShards}; expected a shard from 0 to ${totalShards - 1}`,
    );
  }
}
