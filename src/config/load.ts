// Reading the configuration: the YAML file (with `${VAR}` expansion), or with no file one target
// built from the variables the official Huawei Cloud SDKs read. Every failure is a ConfigError
// whose message is the one line the exporter prints before exiting with status 2.

import { accessSync, constants, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseDocument } from "yaml";
import { type Environment, expandEnvironment } from "./env.js";
import { ConfigError, formatKeyPath, type KeyPath, summariseProblems } from "./errors.js";
import { describeIssues } from "./messages.js";
import { configFileSchema } from "./schema.js";
import type { ExporterConfig } from "./types.js";

export type { Environment } from "./env.js";
export { ConfigError } from "./errors.js";

/** The environment variables of env-only mode, named as the official SDKs name them. */
export const ENV_VARS = {
  accessKey: "HUAWEICLOUD_SDK_AK",
  secretKey: "HUAWEICLOUD_SDK_SK",
  securityToken: "HUAWEICLOUD_SDK_SECURITY_TOKEN",
  projectId: "HUAWEICLOUD_SDK_PROJECT_ID",
  region: "HUAWEICLOUD_SDK_REGION",
} as const;

export interface LoadOptions {
  /** The YAML file; absent means env-only mode. */
  path?: string | undefined;
  env: Environment;
}

export interface BuildOptions {
  /** Names the origin in messages, e.g. `config file /etc/exporter.yml`. */
  source?: string;
  /** Relative file paths in the config (secret files, web config) are taken from here. */
  baseDir?: string;
}

/** Validates an already-parsed config object (after `${VAR}` expansion) into the resolved form. */
export function buildConfig(raw: unknown, env: Environment, options: BuildOptions = {}): ExporterConfig {
  const prefix = `invalid configuration${options.source ? ` in ${options.source}` : ""}: `;
  let expanded: unknown;
  try {
    expanded = expandEnvironment(raw, env);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new ConfigError(summariseProblems(prefix, error.problems), error.problems);
    throw error;
  }
  const config = validate(expanded, prefix);
  return options.baseDir === undefined ? config : resolveFilePaths(config, options.baseDir);
}

function validate(raw: unknown, prefix: string, renameKey?: (path: string) => string): ExporterConfig {
  if (raw === null || raw === undefined) {
    const problem = "the configuration is empty; expected a mapping with at least a targets list";
    throw new ConfigError(`${prefix}${problem}`, [problem]);
  }
  const result = configFileSchema.safeParse(raw);
  if (result.success) return result.data;
  let problems = describeIssues(result.error.issues, raw);
  if (renameKey) {
    problems = problems.map((problem) => {
      const [key = "", ...rest] = problem.split(": ");
      return [renameKey(key), ...rest].join(": ");
    });
  }
  throw new ConfigError(summariseProblems(prefix, problems), problems);
}

function resolveFilePaths(config: ExporterConfig, baseDir: string): ExporterConfig {
  const absolute = (path: string | undefined) => (path && !isAbsolute(path) ? resolve(baseDir, path) : path);
  const webConfigFile = absolute(config.server.webConfigFile) ?? "";
  return {
    ...config,
    server: { ...config.server, webConfigFile },
    targets: config.targets.map((target) => {
      if (target.auth.type !== "aksk") return target;
      const auth = { ...target.auth };
      if (auth.accessKeyFile) auth.accessKeyFile = absolute(auth.accessKeyFile);
      if (auth.secretKeyFile) auth.secretKeyFile = absolute(auth.secretKeyFile);
      if (auth.securityTokenFile) auth.securityTokenFile = absolute(auth.securityTokenFile);
      return { ...target, auth };
    }),
  };
}

/** Files the config names must be readable at start: better exit 2 now than fail every poll. */
function checkFilesReadable(config: ExporterConfig, prefix: string): void {
  const files: Array<[KeyPath, string]> = [];
  if (config.server.webConfigFile) files.push([["server", "web_config_file"], config.server.webConfigFile]);
  config.targets.forEach((target, index) => {
    if (target.auth.type !== "aksk") return;
    const auth = target.auth;
    const keys: Array<[string, string | undefined]> = [
      ["access_key_file", auth.accessKeyFile],
      ["secret_key_file", auth.secretKeyFile],
      ["security_token_file", auth.securityTokenFile],
    ];
    for (const [key, path] of keys) if (path) files.push([["targets", index, "auth", key], path]);
  });
  const problems: string[] = [];
  for (const [keyPath, path] of files) {
    try {
      accessSync(path, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      problems.push(`${formatKeyPath(keyPath)}: cannot read "${path}" (${code}); expected a readable file`);
    }
  }
  if (problems.length > 0) throw new ConfigError(summariseProblems(prefix, problems), problems);
}

/** The YAML text of a config file as plain data; ConfigError with line and column if malformed. */
export function parseConfigText(text: string, source: string): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [error] = document.errors;
  if (error) {
    // The library's message ends with an excerpt of the file, which may hold a secret: keep only
    // its first line, without the position, and give the position ourselves.
    const firstLine = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
    const position = error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ` : "";
    const problem = `${position}${firstLine}; expected valid YAML`;
    throw new ConfigError(`invalid YAML in ${source}: ${problem}`, [problem]);
  }
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const problem = `${(error as Error).message.split("\n")[0]}; expected valid YAML`;
    throw new ConfigError(`invalid YAML in ${source}: ${problem}`, [problem]);
  }
}

/** With no path, env-only mode: one target named "default" from the SDK variables. */
export function loadConfig(options: LoadOptions): ExporterConfig {
  if (options.path === undefined) return configFromEnvironment(options.env);
  const source = `config file ${options.path}`;
  let text: string;
  try {
    text = readFileSync(options.path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    const problem = `cannot read ${options.path} (${code}); expected a readable YAML file`;
    throw new ConfigError(`invalid configuration: ${problem}`, [problem]);
  }
  const raw = parseConfigText(text, source);
  const config = buildConfig(raw, options.env, { source, baseDir: dirname(resolve(options.path)) });
  checkFilesReadable(config, `invalid configuration in ${source}: `);
  return config;
}

/** Env-only mode. Values are taken as they are: no `${VAR}` expansion inside secrets. */
export function configFromEnvironment(env: Environment): ExporterConfig {
  const value = (name: string) => {
    const found = env[name];
    return found === undefined || found === "" ? undefined : found;
  };
  const required = [ENV_VARS.accessKey, ENV_VARS.secretKey, ENV_VARS.projectId, ENV_VARS.region];
  const missing = required.filter((name) => value(name) === undefined);
  if (missing.length > 0) {
    const problem = `no config file given and ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set; expected --config FILE, or ${required.join(", ")} all set`;
    throw new ConfigError(problem, [problem]);
  }
  const securityToken = value(ENV_VARS.securityToken);
  const raw = {
    targets: [
      {
        name: "default",
        region: value(ENV_VARS.region),
        project_id: value(ENV_VARS.projectId),
        auth: {
          access_key: value(ENV_VARS.accessKey),
          secret_key: value(ENV_VARS.secretKey),
          ...(securityToken === undefined ? {} : { security_token: securityToken }),
        },
      },
    ],
  };
  const keyToVariable: Record<string, string> = {
    "targets[0].region": ENV_VARS.region,
    "targets[0].project_id": ENV_VARS.projectId,
    "targets[0].auth.access_key": ENV_VARS.accessKey,
    "targets[0].auth.secret_key": ENV_VARS.secretKey,
    "targets[0].auth.security_token": ENV_VARS.securityToken,
  };
  return validate(raw, "invalid environment (no config file given): ", (key) => keyToVariable[key] ?? key);
}
