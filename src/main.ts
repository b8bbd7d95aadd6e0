#!/usr/bin/env node
// Entry point: flags, configuration, logger, wiring and signals. A bad flag or file exits 2
// before any port is bound; SIGTERM and SIGINT stop the ticks, abort requests in flight, close
// the server and exit 0 within ten seconds. SIGHUP and a change of the config file reload it
// (src/reload.ts); `check` probes every endpoint once (src/check.ts).

import { runCheck } from "./check/probe.js";
import { formatCheckReport } from "./check/report.js";
import { type CommandLine, HELP_TEXT, parseCommandLine, UsageError } from "./cli.js";
import { configWarnings } from "./config/diagnostics.js";
import { ConfigError, loadConfig } from "./config/load.js";
import type { ExporterConfig } from "./config/types.js";
import { demoConfig, startDemoSimulator } from "./demo.js";
import { loadWebConfig } from "./http/web-config.js";
import { createLogger } from "./logger.js";
import { type RunningExporter, startExporter } from "./runtime/exporter.js";
import { ConfigReloader } from "./runtime/reload.js";
import { browsableUrl } from "./runtime/serve.js";
import { resolveSharding } from "./runtime/shard.js";
import type { Simulator } from "./simulator/index.js";
import { REVISION, VERSION } from "./version.js";

const SHUTDOWN_DEADLINE_MS = 10_000;

/** The file (or the environment) with the command line's overrides applied. */
function loadWithFlags(line: CommandLine): ExporterConfig {
  return withFlags(loadConfig({ path: line.configPath, env: process.env }), line);
}

/** The command line's overrides of the file's server keys and sharding. */
function withFlags(config: ExporterConfig, line: CommandLine): ExporterConfig {
  if (line.listenAddress !== undefined) config.server.listenAddress = line.listenAddress;
  if (line.webConfigFile !== undefined) config.server.webConfigFile = line.webConfigFile;
  if (line.telemetryPath !== undefined) config.server.metricsPath = line.telemetryPath;
  return resolveSharding(config, {
    ...(line.shard !== undefined ? { shard: line.shard } : {}),
    ...(line.totalShards !== undefined ? { totalShards: line.totalShards } : {}),
    ...(line.shardFromHostname ? { shardFromHostname: true } : {}),
  });
}

function fail(message: string, status: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(status);
}

async function main(argv: string[]): Promise<void> {
  let line: ReturnType<typeof parseCommandLine>;
  try {
    line = parseCommandLine(argv);
  } catch (err) {
    if (err instanceof UsageError) fail(err.message, 2);
    throw err;
  }
  if (line.help) {
    process.stdout.write(HELP_TEXT);
    return;
  }
  if (line.version) {
    process.stdout.write(
      `huaweicloud-job-exporter ${VERSION} (revision ${REVISION}, node ${process.version})\n`,
    );
    return;
  }

  const logger = createLogger(line.logLevel ?? "info", undefined, line.logFormat);
  let config: ExporterConfig;
  let simulator: Simulator | undefined;
  try {
    if (line.demo) {
      simulator = await startDemoSimulator();
      config = withFlags(demoConfig(simulator, line.listenAddress ?? "127.0.0.1:9873"), line);
      logger.info({ simulator: simulator.url }, "demo: the built-in simulator is serving the three APIs");
    } else {
      config = loadWithFlags(line);
    }
    // The web config is part of the configuration: a bad one exits 2 before any port is bound.
    if (config.server.webConfigFile) loadWebConfig(config.server.webConfigFile);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }

  const warnings = configWarnings(config);
  if (line.command === "check") {
    process.stdout.write(
      `configuration is valid: ${config.targets.length} target(s): ${config.targets.map((t) => t.name).join(", ")}\n`,
    );
    for (const warning of warnings) process.stdout.write(`warning: ${warning.message}\n`);
    process.stdout.write("\n");
    // The table is the output; the client's own log lines would only repeat it.
    const report = await runCheck(config, {
      logger: createLogger(line.logLevel ?? "silent", undefined, line.logFormat),
    });
    process.stdout.write(formatCheckReport(report));
    await simulator?.close();
    process.exitCode = report.ok ? 0 : 1;
    return;
  }

  for (const warning of warnings) logger.warn({ key: warning.key }, warning.message);

  let exporter: RunningExporter;
  try {
    exporter = await startExporter({ config, logger });
  } catch (err) {
    // Nothing has polled yet (the port is bound first): one line on stderr says why.
    await simulator?.close();
    fail(`cannot listen on ${config.server.listenAddress}: ${(err as Error).message}`, 1);
  }
  if (line.demo) {
    const url = browsableUrl(exporter.url);
    logger.info(
      `demo: open ${url}/ for the status page and ${url}${config.server.metricsPath} for the metrics`,
    );
  }

  // Reload: SIGHUP, and a change of the file (its directory is watched). Without a file
  // (env-only mode, --demo) there is nothing to read again.
  const configPath = line.configPath;
  let reloader: ConfigReloader | undefined;
  if (configPath !== undefined) {
    reloader = new ConfigReloader({ path: configPath, load: () => loadWithFlags(line), exporter, logger });
    reloader.watch();
  }
  process.on("SIGHUP", () => {
    if (!reloader) {
      logger.warn("SIGHUP: no config file to reload (env-only mode or --demo)");
      return;
    }
    logger.info("SIGHUP: reloading the configuration");
    void reloader.reload("SIGHUP");
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    reloader?.close();
    logger.info({ signal }, "shutting down");
    const deadline = setTimeout(() => {
      logger.error("shutdown took longer than 10 seconds; exiting anyway");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    void exporter
      .stop()
      .then(() => simulator?.close())
      .then(() => {
        logger.info("stopped");
        // Exit once the log is written: pino writes stdout asynchronously, and exiting with a
        // write still in flight let the exit handler's synchronous flush put "stopped" before
        // "shutting down" on a loaded machine.
        logger.flush(() => process.exit(0));
      });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
