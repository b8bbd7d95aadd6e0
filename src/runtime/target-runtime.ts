// One target's moving parts: its credentials, its signed client, its sources, one poller per
// source and the cron tasks that tick them. They start together and stop together, so a target
// can come, go or restart at run time without touching the others.

import type { Dispatcher } from "undici";
import { FALLBACK_POLL_INTERVAL_MS, scheduleIntervalMs } from "../config/schedule.js";
import type { TargetConfig } from "../config/types.js";
import type { AuthGuard } from "../huaweicloud/auth-guard.js";
import { HuaweiCloudClient, type HuaweiCloudClientOptions } from "../huaweicloud/client.js";
import { createCredentialProvider } from "../huaweicloud/credentials.js";
import type { CredentialProvider } from "../huaweicloud/types.js";
import type { SourceName, TargetIdentity } from "../jobs/model.js";
import { createSources } from "../jobs/registry.js";
import type { Logger } from "../logger.js";
import { SourcePoller } from "../polling/poller.js";
import { Scheduler } from "../polling/scheduler.js";
import type { JobStore } from "../state/store.js";
import type { RuntimeSettings } from "./reload-plan.js";
import type { SelfMetrics } from "./self-metrics.js";

/**
 * An acceptance vouches for a key for 2 s, or half the poll interval where polls are closer:
 * each poll's first request to an API must go alone (issue 14), the pages after it flow.
 */
function authTrustMs(schedule: string): number {
  return Math.min(2_000, (scheduleIntervalMs(schedule) ?? FALLBACK_POLL_INTERVAL_MS) / 2);
}

/** What every target's runtime shares: the store, the exporter's metrics and the test hooks. */
export interface TargetRuntimeDeps {
  store: JobStore;
  selfMetrics: SelfMetrics;
  logger: Logger;
  dispatcher?: Dispatcher;
  authGuard?: AuthGuard;
  now?: () => number;
  client?: Pick<HuaweiCloudClientOptions, "backoff" | "sleep" | "random">;
}

export interface TargetRuntime {
  target: TargetConfig;
  identity: TargetIdentity;
  sources: SourceName[];
  pollers: SourcePoller[];
  /** Resolves when the first poll of each source has ended, successful or not. */
  firstPolls: Promise<void>;
  /** Stops the ticks and aborts polls in flight. */
  stopPolling(): Promise<void>;
  /** Closes the API connections and the credentials (after stopPolling). */
  close(): Promise<void>;
  /** Both, in that order. */
  stop(): Promise<void>;
}

export function identityOf(target: TargetConfig): TargetIdentity {
  return { name: target.name, region: target.region, projectId: target.projectId };
}

/**
 * Builds and starts `settings.target`'s runtime. `fresh`: the target's own metrics start at 0;
 * a restarted target keeps its values until it polls.
 */
export function startTargetRuntime(
  deps: TargetRuntimeDeps,
  settings: RuntimeSettings,
  fresh: boolean,
): TargetRuntime {
  const { target, poll } = settings;
  const { store, selfMetrics, logger } = deps;
  const targetLogger = logger.child({ target: target.name });
  const credentials: CredentialProvider = createCredentialProvider(target.auth, { logger: targetLogger });
  const client = new HuaweiCloudClient({
    credentials,
    projectId: target.projectId,
    timeoutMs: poll.requestTimeoutMs,
    maxRetries: poll.maxRetries,
    maxResponseBytes: poll.maxResponseBytes,
    onRequest: (event) => selfMetrics.observeRequest(target.name, event),
    onHeldBack: (source) => selfMetrics.countHeldBack(target.name, source),
    authTrustMs: authTrustMs(poll.schedule),
    logger: targetLogger,
    ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
    ...(deps.authGuard ? { authGuard: deps.authGuard } : {}),
    ...deps.client,
  });
  const sources = createSources({
    api: client,
    target,
    pageSize: poll.pageSize,
    concurrency: poll.concurrency,
    logger: targetLogger,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const sourceNames = sources.map((s) => s.name);
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
        ...(deps.now ? { now: deps.now } : {}),
      }),
  );
  const scheduler = new Scheduler({ schedule: poll.schedule, pollers, logger });
  const firstPolls = scheduler.start();
  return {
    target,
    identity,
    sources: sourceNames,
    pollers,
    firstPolls,
    stopPolling: () => scheduler.stop(),
    close: async () => {
      await client.close();
      credentials.close?.();
    },
    async stop() {
      await this.stopPolling();
      await this.close();
    },
  };
}
