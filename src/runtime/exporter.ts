// Wiring: one signed client and its sources per target, one poller per source, the store and
// the exporter's own metrics, the scheduler and the HTTP server. main.ts adds flags and signals;
// the integration tests start exactly this.
//
// Each target owns a runtime of its own (credentials, client, sources, pollers and their cron
// tasks), so targets start, stop and restart at run time without touching one another:
// `reload(config)` starts new targets, stops removed ones (their series go) and restarts changed
// ones. The HTTP server is bound once; a reload never rebinds it.

import type { Dispatcher } from "undici";
import { formatDuration } from "../config/duration.js";
import type { ExporterConfig } from "../config/types.js";
import type { ShardView } from "../http/landing.js";
import { FAILED_JOBS_SHOWN } from "../http/landing-problems.js";
import { createApp, type RunningServer } from "../http/server.js";
import { loadWebConfig } from "../http/web-config.js";
import type { AuthGuard } from "../huaweicloud/auth-guard.js";
import type { HuaweiCloudClientOptions } from "../huaweicloud/client.js";
import type { Logger } from "../logger.js";
import type { SourcePoller } from "../polling/poller.js";
import { JobStore } from "../state/store.js";
import { VERSION } from "../version.js";
import { readinessOf } from "./readiness.js";
import { ownedTargetsOf, planReload, runtimeSettings, shardAssignmentOf } from "./reload-plan.js";
import { SelfMetrics } from "./self-metrics.js";
import { serve } from "./serve.js";
import { startStateKeeping } from "./state-keeping.js";
import { startTargetRuntime, type TargetRuntime, type TargetRuntimeDeps } from "./target-runtime.js";

export { shardAssignmentOf };

export interface ExporterOptions {
  config: ExporterConfig;
  logger: Logger;
  /** Tests: a dispatcher for every API client (default: keep-alive, proxy from the environment). */
  dispatcher?: Dispatcher;
  /** Tests: an auth guard of their own instead of the process-wide one. */
  authGuard?: AuthGuard;
  /** prom-client's process_* and nodejs_* metrics (default true). */
  defaultMetrics?: boolean;
  /** Tests: the clock of polls, staleness and retention (epoch ms). */
  now?: () => number;
  /** Tests: client settings such as a faster back-off. */
  client?: Pick<HuaweiCloudClientOptions, "backoff" | "sleep" | "random">;
  /** Tests: how often the web config's certificate files are checked for a rotation (default 30 s). */
  certCheckMs?: number;
}

/** What a reload changed, by target name. */
export interface ReloadSummary {
  added: string[];
  removed: string[];
  restarted: string[];
  unchanged: string[];
  /** Keys whose new values wait for a restart of the process (the listen address, ...). */
  needsRestart: string[];
}

export interface RunningExporter {
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:9873`. */
  url: string;
  store: JobStore;
  selfMetrics: SelfMetrics;
  /** The pollers of every target this process owns now (a reload changes the list). */
  readonly pollers: SourcePoller[];
  /** The configuration in effect (keys that need a restart keep their start-up values). */
  readonly config: ExporterConfig;
  /** Resolves when the first poll of every source of the start-up targets has ended. */
  firstPolls: Promise<void>;
  /**
   * Applies a new, already validated configuration: new targets start, removed ones stop and
   * their series go, changed ones restart. Calls are applied one after the other.
   */
  reload(config: ExporterConfig): Promise<ReloadSummary>;
  /** Records a refused configuration (the old one keeps running) in the reload gauges. */
  reloadRefused(): void;
  /** Stops the ticks, aborts polls in flight, closes the server and the API connections. */
  stop(): Promise<void>;
}

export async function startExporter(options: ExporterOptions): Promise<RunningExporter> {
  const { logger } = options;
  let config = options.config;
  // Read before anything starts: a bad web config is a ConfigError (exit 2 naming the key).
  const webConfig = config.server.webConfigFile ? loadWebConfig(config.server.webConfigFile) : undefined;
  const selfMetrics = new SelfMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const store = new JobStore({
    staleAfterMs: config.poll.staleAfterMs,
    stateSeries: config.metrics.stateSeries,
    maxSeriesPerSource: config.metrics.maxSeriesPerSource,
    targets: config.targets,
    pipelines: config.pipelines,
    observer: selfMetrics,
  });
  selfMetrics.setPipelineFailingThreshold(config.pipelines.failingThreshold);
  const stateKeeping = startStateKeeping({ file: config.state.file, store, logger, metrics: selfMetrics });
  const deps: TargetRuntimeDeps = { ...options, store, selfMetrics };
  const runtimes = new Map<string, TargetRuntime>();
  const allPollers = () => [...runtimes.values()].flatMap((r) => r.pollers);
  /** A target gone for good: every series of it goes, its counters included. */
  const forgetTarget = (name: string): void => {
    store.removeTarget(name);
    selfMetrics.removeTarget(name);
  };
  const shardView = (): ShardView => ({
    ...shardAssignmentOf(config),
    configured: config.targets.length,
    owned: [...runtimes.keys()],
  });

  let ready = false;

  const app = createApp({
    metricsPath: config.server.metricsPath,
    ownMetrics: () => selfMetrics.bytes(),
    jobs: store.writer,
    statuses: () => allPollers().map((p) => p.status),
    targets: () =>
      [...runtimes.values()].map((r) => ({
        ...r.identity,
        ...(r.target.spark.enabled ? { sparkLookback: formatDuration(r.target.spark.lookbackMs) } : {}),
      })),
    failedJobs: () => store.failedJobs(FAILED_JOBS_SHOWN),
    schedule: () => config.poll.schedule,
    pipelines: () => store.pipelinesNeedingAttention((options.now ?? Date.now)()),
    ...(options.now ? { now: options.now } : {}),
    shard: shardView,
    readiness: () =>
      readinessOf(
        ready,
        shardView(),
        allPollers().map((p) => p.status),
      ),
    version: VERSION,
    logger,
  });
  // Bind first: a port that cannot be bound fails the start before any API request is made.
  const server: RunningServer = await serve(app, {
    listenAddress: config.server.listenAddress,
    unauthenticatedPaths: config.server.unauthenticatedPaths,
    logger,
    ...(webConfig ? { webConfig } : {}),
    ...(options.certCheckMs !== undefined ? { certCheckMs: options.certCheckMs } : {}),
  });
  for (const target of ownedTargetsOf(config)) {
    runtimes.set(target.name, startTargetRuntime(deps, runtimeSettings(config, target), true));
  }
  const firstPolls = Promise.all([...runtimes.values()].map((r) => r.firstPolls)).then(() => undefined);
  void firstPolls.then(() => {
    ready = true;
  });
  selfMetrics.observeConfigReload(true, Date.now());
  logListening(logger, server.url, config, runtimes.size);

  let queue: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const applyReload = async (next: ExporterConfig): Promise<ReloadSummary> => {
    if (stopped) throw new Error("the exporter is stopped");
    const plan = planReload(config, next);
    const { effective } = plan;
    store.configurePipelines(effective.pipelines);
    selfMetrics.setPipelineFailingThreshold(effective.pipelines.failingThreshold);
    await Promise.all(
      plan.remove.map(async (name) => {
        const runtime = runtimes.get(name) as TargetRuntime;
        runtimes.delete(name);
        await runtime.stop();
        forgetTarget(name);
      }),
    );
    for (const { target, keepsSeries } of plan.restart) {
      await (runtimes.get(target.name) as TargetRuntime).stop();
      if (!keepsSeries) forgetTarget(target.name);
      runtimes.set(target.name, startTargetRuntime(deps, runtimeSettings(effective, target), !keepsSeries));
    }
    for (const target of plan.add) {
      runtimes.set(target.name, startTargetRuntime(deps, runtimeSettings(effective, target), true));
    }
    config = effective;
    selfMetrics.observeConfigReload(true, Date.now());
    const summary: ReloadSummary = {
      added: plan.add.map((t) => t.name),
      removed: plan.remove,
      restarted: plan.restart.map((r) => r.target.name),
      unchanged: plan.keep,
      needsRestart: plan.needsRestart,
    };
    logReload(logger, summary, effective);
    return summary;
  };

  const reload = (next: ExporterConfig): Promise<ReloadSummary> => {
    const result = queue.then(() => applyReload(next));
    queue = result.catch(() => undefined);
    return result;
  };

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      stopped = true;
      await queue;
      await Promise.all([...runtimes.values()].map((r) => r.stopPolling()));
      await server.close();
      await Promise.all([...runtimes.values()].map((r) => r.close()));
      await stateKeeping.flush();
    })();
    return stopping;
  };
  return {
    url: server.url,
    store,
    selfMetrics,
    get pollers() {
      return allPollers();
    },
    get config() {
      return config;
    },
    firstPolls,
    reload,
    reloadRefused: () => selfMetrics.observeConfigReload(false, Date.now()),
    stop,
  };
}

function shardFields(config: ExporterConfig, withConfigured: boolean): Record<string, number> {
  const { shard, totalShards } = shardAssignmentOf(config);
  if (totalShards <= 1) return {};
  return {
    shard,
    total_shards: totalShards,
    ...(withConfigured ? { configured_targets: config.targets.length } : {}),
  };
}

function logListening(logger: Logger, url: string, config: ExporterConfig, targets: number): void {
  logger.info(
    { url, metrics: `${url}${config.server.metricsPath}`, targets, ...shardFields(config, true) },
    "listening",
  );
}

function logReload(logger: Logger, summary: ReloadSummary, config: ExporterConfig): void {
  logger.info(
    {
      added: summary.added,
      removed: summary.removed,
      restarted: summary.restarted,
      unchanged: summary.unchanged.length,
      ...shardFields(config, false),
    },
    "configuration reloaded",
  );
  if (summary.needsRestart.length > 0) {
    logger.warn(
      { keys: summary.needsRestart },
      "configuration reloaded, but these keys keep their running values until the exporter restarts",
    );
  }
}
