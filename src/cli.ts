// The command line. node's parseArgs reads the tokens; we check them ourselves so every mistake
// gets one message that names the flag, what was wrong and what was expected (the UsageError's
// message is the whole line printed before exiting with status 2).

import { parseArgs } from "node:util";
import { LISTEN_ADDRESS_EXPECTED, parseListenAddress } from "./config/listen-address.js";
import { LOG_LEVELS, type LogLevel } from "./logger.js";

export type Command = "run" | "check";

export interface CommandLine {
  command: Command;
  configPath?: string;
  demo: boolean;
  listenAddress?: string;
  logLevel?: LogLevel;
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
  ${PROGRAM} [--config FILE] [flags]          run the exporter
  ${PROGRAM} --demo [flags]                   run it against the built-in simulator
  ${PROGRAM} check [--config FILE] [flags]    validate the configuration, then call each
                                              endpoint of each target once and print a table

Flags:
  --config FILE                 YAML configuration file (see docs/configuration.md)
  --demo                        serve metrics from the built-in simulator; no credentials needed
  --listen-address HOST:PORT    override server.listen_address (also with --demo); port 0 picks
                                a free port
  --log-level LEVEL             one of ${LOG_LEVELS.join(", ")} (default info)
  --shard N                     poll only the targets of shard N (0-based; see docs/operations.md)
  --total-shards M              processes sharing the targets (default 1: every target)
  --shard-from-hostname         shard = the pod ordinal ending the host name (StatefulSet)
  --version                     print the version and exit
  -h, --help                    print this help and exit

Without --config (and without --demo), one target named "default" is built from the
environment, as the official Huawei Cloud SDKs read it:
  HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID, HUAWEICLOUD_SDK_REGION
  (required) and HUAWEICLOUD_SDK_SECURITY_TOKEN (for temporary credentials).

Exit status: 0 on a clean shutdown, 2 for a bad flag or configuration (the message names it).
`;

const FLAGS = {
  config: { type: "string" },
  demo: { type: "boolean" },
  "listen-address": { type: "string" },
  "log-level": { type: "string" },
  shard: { type: "string" },
  "total-shards": { type: "string" },
  "shard-from-hostname": { type: "boolean" },
  version: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type FlagName = keyof typeof FLAGS;

const PLACEHOLDER: Partial<Record<FlagName, string>> = {
  config: "FILE",
  "listen-address": "HOST:PORT",
  "log-level": "LEVEL",
  shard: "N",
  "total-shards": "M",
};

const COMMANDS: readonly string[] = ["check"];

const isFlag = (name: string): name is FlagName => Object.hasOwn(FLAGS, name);

const usage = (message: string) => new UsageError(`invalid command line: ${message}; see --help`);

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const { tokens } = parseArgs({
    args: [...argv],
    options: FLAGS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const seen = new Map<FlagName, string | true>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === "option-terminator") continue;
    const { name, rawName } = token;
    if (!isFlag(name)) {
      throw usage(`unknown flag ${rawName}; expected one of --${Object.keys(FLAGS).join(", --")}, -h`);
    }
    const flag = `--${name}`;
    if (seen.has(name)) throw usage(`${flag} given more than once; expected it once`);
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

  const text = (name: FlagName) => {
    const value = seen.get(name);
    return typeof value === "string" ? value : undefined;
  };

  const line: CommandLine = {
    command,
    demo: seen.has("demo"),
    version: seen.has("version"),
    help: seen.has("help"),
  };
  const configPath = text("config");
  if (configPath !== undefined) line.configPath = configPath;
  if (line.demo && configPath !== undefined) {
    throw usage("--demo and --config cannot be combined; expected one of them");
  }

  const listenAddress = text("listen-address");
  if (listenAddress !== undefined) {
    const parsed = parseListenAddress(listenAddress);
    if ("problem" in parsed) {
      throw usage(
        `--listen-address "${listenAddress}": ${parsed.problem}; expected ${LISTEN_ADDRESS_EXPECTED}`,
      );
    }
    line.listenAddress = listenAddress;
  }

  if (seen.has("shard-from-hostname")) line.shardFromHostname = true;
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

  const logLevel = text("log-level");
  if (logLevel !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
      throw usage(`--log-level "${logLevel}" is not a level; expected one of ${LOG_LEVELS.join(", ")}`);
    }
    line.logLevel = logLevel as LogLevel;
  }
  return line;
}
