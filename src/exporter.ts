// Wiring: one signed client and its sources per target, one poller per source, the store and
// the exporter's own metrics, the scheduler and the HTTP server. main.ts adds flags and signals;
// the integration tests start exactly this.

import type { Dispatcher } from "undici";
import { parseListenAddress } from "./config/listen-address.js";
import type { ExporterConfig, TargetConfig } from "./config/types.js";
import type { AuthGuard } from "./huaweicloud/auth-guard.js";
import { HuaweiCloudClient, type HuaweiCloudClientOptions } from "./huaweicloud/client.js";
import { createCredentialProvider } from "./huaweicloud/credentials.js";
import type { CredentialProvider } from "./huaweicloud/types.js";
import type { Logger } from "./logger.js";
import { SelfMetrics } from "./metrics/self.js";
import type { TargetIdentity } from "./model.js";
import { SourcePoller } from "./poller.js";
import { Scheduler } from "./scheduler.js";
import { createApp, listen, type RunningServer } from "./server.js";
import { createSources } from "./sources/index.js";
import { JobStore } from "./state/store.js";
import { VERSION } from "./version.js";

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
}

export interface RunningExporter {
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:9873`. */
  url: string;
  store: JobStore;
  selfMetrics: SelfMetrics;
  pollers: SourcePoller[];
  /** Resolves when the first poll of every source has ended. */
  firstPolls: Promise<void>;
  /** Stops the ticks, aborts polls in flight, closes the server and the API connections. */
  stop(): Promise<void>;
}

function identityOf(target: TargetConfig): TargetIdentity {
  return { name: target.name, region: target.region, projectId: target.projectId };
}

export async function startExporter(options: ExporterOptions): Promise<RunningExporter> {
  const { config, logger } = options;
  const selfMetrics = new SelfMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const store = new JobStore({
    staleAfterMs: config.poll.staleAfterMs,
    stateSeries: config.metrics.stateSeries,
    maxSeriesPerSource: config.metrics.maxSeriesPerSource,
    targets: config.targets,
    observer: selfMetrics,
  });

  const pollers: SourcePoller[] = [];
  const clients: HuaweiCloudClient[] = [];
  const credentialProviders: CredentialProvider[] = [];
  for (const target of config.targets) {
    const targetLogger = logger.child({ target: target.name });
    const credentials = createCredentialProvider(target.auth, { logger: targetLogger });
    credentialProviders.push(credentials);
    const client = new HuaweiCloudClient({
      credentials,
      projectId: target.projectId,
      timeoutMs: config.poll.requestTimeoutMs,
      maxRetries: config.poll.maxRetries,
      maxResponseBytes: config.poll.maxResponseBytes,
      onRequest: (event) => selfMetrics.observeRequest(target.name, event),
      logger: targetLogger,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      ...(options.authGuard ? { authGuard: options.authGuard } : {}),
      ...options.client,
    });
    clients.push(client);
    const sources = createSources({
      api: client,
      target,
      pageSize: config.poll.pageSize,
      concurrency: config.poll.concurrency,
      logger: targetLogger,
      ...(options.now ? { now: options.now } : {}),
    });
    selfMetrics.addTarget(
      target.name,
      sources.map((s) => s.name),
    );
    const identity = identityOf(target);
    for (const source of sources) {
      pollers.push(
        new SourcePoller({
          target: identity,
          source,
          sink: store,
          metrics: selfMetrics,
          logger,
          ...(options.now ? { now: options.now } : {}),
        }),
      );
    }
  }

  const app = createApp({
    metricsPath: config.server.metricsPath,
    renderMetrics: async () => store.render() + (await selfMetrics.metrics()),
    statuses: () => pollers.map((p) => p.status),
    targets: () => config.targets.map(identityOf),
    version: VERSION,
    logger,
  });
  const address = parseListenAddress(config.server.listenAddress);
  if ("problem" in address) throw new Error(`server.listen_address: ${address.problem}`);
  const server: RunningServer = await listen(app, address);
  logger.info(
    { url: server.url, metrics: `${server.url}${config.server.metricsPath}`, targets: config.targets.length },
    "listening",
  );

  const scheduler = new Scheduler({ schedule: config.poll.schedule, pollers, logger });
  const firstPolls = scheduler.start();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await scheduler.stop();
      await server.close();
      await Promise.all(clients.map((c) => c.close()));
      for (const provider of credentialProviders) provider.close?.();
    })();
    return stopping;
  };
  return { url: server.url, store, selfMetrics, pollers, firstPolls, stop };
}
