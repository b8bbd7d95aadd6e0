// Wiring: one signed client and its sources per target, one poller per source, the store and
// the exporter's own metrics, the scheduler and the HTTP server. main.ts adds flags and signals;
// the integration tests start exactly this.
//
// Each target owns a runtime of its own (credentials, client, sources, pollers and their cron
// tasks), so targets start, stop and restart at run time without touching one another:
// `reload(config)` starts new targets, stops removed ones (their series go) and restarts changed
// ones. The HTTP server is bound once; a reload never rebinds it.

import { isDeepStrictEqual } from "node:util";
import type { Dispatcher } from "undici";
import { parseListenAddress } from "../config/listen-address.js";
import type { ExporterConfig, TargetConfig } from "../config/types.js";
import type { ShardView } from "../http/landing.js";
import { createApp, listen, type RunningServer } from "../http/server.js";
import { guardApp, loadWebConfig, secureListen } from "../http/web-config.js";
import type { AuthGuard } from "../huaweicloud/auth-guard.js";
import { HuaweiCloudClient, type HuaweiCloudClientOptions } from "../huaweicloud/client.js";
import { createCredentialProvider } from "../huaweicloud/credentials.js";
import type { CredentialProvider } from "../huaweicloud/types.js";
import type { SourceName, TargetIdentity } from "../jobs/model.js";
import { createSources, enabledSources } from "../jobs/registry.js";
import type { Logger } from "../logger.js";
import { SourcePoller } from "../polling/poller.js";
import { Scheduler } from "../polling/scheduler.js";
import { JobStore } from "../state/store.js";
import { VERSION } from "../version.js";
import { SelfMetrics } from "./self-metrics.js";
import { describeAssignment, ownedTargets, type ShardAssignment } from "./shard.js";
import { startStateKeeping } from "./state-keeping.js";

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

function identityOf(target: TargetConfig): TargetIdentity {
  return { name: target.name, region: target.region, projectId: target.projectId };
}

export function shardAssignmentOf(config: ExporterConfig): ShardAssignment {
  return { shard: config.sharding?.shard ?? 0, totalShards: config.sharding?.totalShards ?? 1 };
}

/** The settings a target's runtime is built from: any difference means a restart. */
function runtimeSettings(config: ExporterConfig, target: TargetConfig) {
  const { staleAfterMs: _servedByTheStore, ...poll } = config.poll;
  return { target, poll };
}

/** Settings the running process cannot change without a restart. */
function restartOnlyDifferences(running: ExporterConfig, next: ExporterConfig): string[] {
  const keys: string[] = [];
  if (running.server.listenAddress !== next.server.listenAddress) keys.push("server.listen_address");
  if (running.server.metricsPath !== next.server.metricsPath) keys.push("server.metrics_path");
  if (running.server.webConfigFile !== next.server.webConfigFile) keys.push("server.web_config_file");
  if (running.poll.staleAfterMs !== next.poll.staleAfterMs) keys.push("poll.stale_after");
  if (running.metrics.stateSeries !== next.metrics.stateSeries) keys.push("metrics.state_series");
  if (running.state.file !== next.state.file) keys.push("state.file");
  if (running.metrics.maxSeriesPerSource !== next.metrics.maxSeriesPerSource)
    keys.push("metrics.max_series_per_source");
  return keys;
}

/** One target's moving parts, started and stopped together. */
interface TargetRuntime {
  target: TargetConfig;
  settings: ReturnType<typeof runtimeSettings>;
  sources: SourceName[];
  pollers: SourcePoller[];
  scheduler: Scheduler;
  client: HuaweiCloudClient;
  credentials: CredentialProvider;
  firstPolls: Promise<void>;
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
  const runtimes = new Map<string, TargetRuntime>();
  let assignment = shardAssignmentOf(config);

  const startTarget = (target: TargetConfig, current: ExporterConfig, fresh = true): TargetRuntime => {
    const targetLogger = logger.child({ target: target.name });
    const credentials = createCredentialProvider(target.auth, { logger: targetLogger });
    const client = new HuaweiCloudClient({
      credentials,
      projectId: target.projectId,
      timeoutMs: current.poll.requestTimeoutMs,
      maxRetries: current.poll.maxRetries,
      maxResponseBytes: current.poll.maxResponseBytes,
      onRequest: (event) => selfMetrics.observeRequest(target.name, event),
      logger: targetLogger,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      ...(options.authGuard ? { authGuard: options.authGuard } : {}),
      ...options.client,
    });
    const sources = createSources({
      api: client,
      target,
      pageSize: current.poll.pageSize,
      concurrency: current.poll.concurrency,
      logger: targetLogger,
      ...(options.now ? { now: options.now } : {}),
    });
    const sourceNames = sources.map((s) => s.name);
    // A fresh target's series start at 0; a restarted one keeps its values until it polls.
    if (fresh) selfMetrics.addTarget(target.name, sourceNames);
    store.configureTarget(target);
    const identity = identityOf(target);
    const pollers = sources.map(
      (source) =>
        new SourcePoller({
          target: identity,
          source,
          sink: store,
          metrics: selfMetrics,
          logger,
          ...(options.now ? { now: options.now } : {}),
        }),
    );
    const scheduler = new Scheduler({ schedule: current.poll.schedule, pollers, logger });
    return {
      target,
      settings: runtimeSettings(current, target),
      sources: sourceNames,
      pollers,
      scheduler,
      client,
      credentials,
      firstPolls: scheduler.start(),
    };
  };

  const stopTarget = async (runtime: TargetRuntime): Promise<void> => {
    await runtime.scheduler.stop();
    await runtime.client.close();
    runtime.credentials.close?.();
  };

  /** A target gone for good: every series of it goes, its counters included. */
  const forgetTarget = (name: string): void => {
    store.removeTarget(name);
    selfMetrics.removeTarget(name);
  };

  const shardView = (): ShardView => ({
    shard: assignment.shard,
    totalShards: assignment.totalShards,
    configured: config.targets.length,
    owned: [...runtimes.keys()],
  });

  for (const target of ownedTargets(config.targets, assignment)) {
    runtimes.set(target.name, startTarget(target, config));
  }
  const firstPolls = Promise.all([...runtimes.values()].map((r) => r.firstPolls)).then(() => undefined);
  // Ready once the start-up targets have polled once, successful or not (a failing API is what
  // `up` reports; holding readiness back would only hide the exporter), and ready from then on:
  // a target added by a reload must not take a serving replica out of its Service while it
  // polls for the first time.
  let ready = false;
  void firstPolls.then(() => {
    ready = true;
  });
  selfMetrics.observeConfigReload(true, Date.now());

  const allPollers = () => [...runtimes.values()].flatMap((r) => r.pollers);
  const app = createApp({
    metricsPath: config.server.metricsPath,
    ownMetrics: () => selfMetrics.metrics(),
    jobs: store.writer,
    statuses: () => allPollers().map((p) => p.status),
    pipelines: () => store.pipelinesNeedingAttention((options.now ?? Date.now)()),
    targets: () => [...runtimes.values()].map((r) => identityOf(r.target)),
    shard: shardView,
    readiness: () => {
      const view = shardView();
      const ownership = `${describeAssignment(view, view.owned.length, view.configured)}\ntargets: ${view.owned.join(", ") || "none"}\n`;
      if (ready) return { ready: true, text: `ready\n${ownership}` };
      const waiting = allPollers()
        .map((p) => p.status)
        .filter((s) => s.lastResult === "never")
        .map((s) => `${s.target}/${s.source}`);
      return {
        ready: false,
        text: `not ready: waiting for the first poll of ${waiting.join(", ")}\n${ownership}`,
      };
    },
    version: VERSION,
    logger,
  });
  const address = parseListenAddress(config.server.listenAddress);
  if ("problem" in address) throw new Error(`server.listen_address: ${address.problem}`);
  const served = webConfig
    ? guardApp(app, webConfig, { unauthenticatedPaths: config.server.unauthenticatedPaths })
    : app;
  let server: RunningServer;
  try {
    const secure = webConfig?.tls
      ? {
          ...secureListen(webConfig),
          certCheckMs: options.certCheckMs,
          onReload: (error?: Error) => {
            // The message names the file and OpenSSL's reason, never key material.
            if (error)
              logger.warn(
                { err: error.message },
                "TLS certificate files changed but cannot be used; still serving the previous certificate",
              );
            else logger.info({ file: webConfig.tls?.certFile }, "TLS certificate reloaded");
          },
        }
      : undefined;
    server = await listen(served, address, secure);
  } catch (err) {
    // The targets already started: a port that cannot be bound must not leave them polling.
    await Promise.all([...runtimes.values()].map((r) => stopTarget(r)));
    throw err;
  }
  logger.info(
    {
      url: server.url,
      metrics: `${server.url}${config.server.metricsPath}`,
      targets: runtimes.size,
      ...(assignment.totalShards > 1
        ? {
            shard: assignment.shard,
            total_shards: assignment.totalShards,
            configured_targets: config.targets.length,
          }
        : {}),
    },
    "listening",
  );

  let queue: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const applyReload = async (next: ExporterConfig): Promise<ReloadSummary> => {
    if (stopped) throw new Error("the exporter is stopped");
    const needsRestart = restartOnlyDifferences(config, next);
    // Keys that need a restart keep their running values; everything else takes the new ones.
    const effective: ExporterConfig = {
      ...next,
      server: config.server,
      poll: { ...next.poll, staleAfterMs: config.poll.staleAfterMs },
      metrics: config.metrics,
      state: config.state,
    };
    store.configurePipelines(effective.pipelines);
    selfMetrics.setPipelineFailingThreshold(effective.pipelines.failingThreshold);
    const nextAssignment = shardAssignmentOf(effective);
    const wanted = new Map(ownedTargets(effective.targets, nextAssignment).map((t) => [t.name, t]));
    const summary: ReloadSummary = { added: [], removed: [], restarted: [], unchanged: [], needsRestart };

    const stopping: Promise<void>[] = [];
    for (const [name, runtime] of runtimes) {
      const target = wanted.get(name);
      if (target === undefined) {
        runtimes.delete(name);
        summary.removed.push(name);
        stopping.push(stopTarget(runtime).then(() => forgetTarget(name)));
      } else if (!isDeepStrictEqual(runtime.settings, runtimeSettings(effective, target))) {
        summary.restarted.push(name);
      } else {
        summary.unchanged.push(name);
      }
    }
    await Promise.all(stopping);

    for (const name of summary.restarted) {
      const old = runtimes.get(name) as TargetRuntime;
      const target = wanted.get(name) as TargetConfig;
      await stopTarget(old);
      // Same project and sources: the last complete data and the counters carry on (a rotated
      // key or a new schedule is no reason to reset them). Anything else is another target.
      const sameSeries =
        old.target.region === target.region &&
        old.target.projectId === target.projectId &&
        isDeepStrictEqual(old.sources, enabledSources(target));
      if (!sameSeries) forgetTarget(name);
      runtimes.set(name, startTarget(target, effective, !sameSeries));
    }
    for (const [name, target] of wanted) {
      if (runtimes.has(name)) continue;
      runtimes.set(name, startTarget(target, effective));
      summary.added.push(name);
    }
    config = effective;
    assignment = nextAssignment;
    selfMetrics.observeConfigReload(true, Date.now());
    logger.info(
      {
        added: summary.added,
        removed: summary.removed,
        restarted: summary.restarted,
        unchanged: summary.unchanged.length,
        ...(nextAssignment.totalShards > 1
          ? { shard: nextAssignment.shard, total_shards: nextAssignment.totalShards }
          : {}),
      },
      "configuration reloaded",
    );
    if (needsRestart.length > 0) {
      logger.warn(
        { keys: needsRestart },
        "configuration reloaded, but these keys keep their running values until the exporter restarts",
      );
    }
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
      await Promise.all([...runtimes.values()].map((r) => r.scheduler.stop()));
      await server.close();
      await Promise.all([...runtimes.values()].map((r) => r.client.close()));
      for (const runtime of runtimes.values()) runtime.credentials.close?.();
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

/** The sources createSources builds for `target`, in the same order. */
