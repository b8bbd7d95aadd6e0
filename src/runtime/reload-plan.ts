// What a reload does, decided from the running configuration and the new one alone (no I/O, so
// it is table-tested): which targets start, stop, restart or carry on, and which keys keep
// their running values until the process restarts.

import { isDeepStrictEqual } from "node:util";
import type { ExporterConfig, TargetConfig } from "../config/types.js";
import { enabledSources } from "../jobs/registry.js";
import { ownedTargets, type ShardAssignment } from "./shard.js";

/** The settings a target's runtime is built from: any difference means a restart. */
export interface RuntimeSettings {
  target: TargetConfig;
  poll: Omit<ExporterConfig["poll"], "staleAfterMs">;
}

export function runtimeSettings(config: ExporterConfig, target: TargetConfig): RuntimeSettings {
  // The store applies staleness; the target's runtime never sees it.
  const { staleAfterMs: _servedByTheStore, ...poll } = config.poll;
  return { target, poll };
}

export function shardAssignmentOf(config: ExporterConfig): ShardAssignment {
  return { shard: config.sharding?.shard ?? 0, totalShards: config.sharding?.totalShards ?? 1 };
}

/** The targets this process runs under `config`, in the configuration's order. */
export function ownedTargetsOf(config: ExporterConfig): TargetConfig[] {
  return ownedTargets(config.targets, shardAssignmentOf(config));
}

/** Settings the running process cannot change without a restart, as configuration keys. */
export function restartOnlyDifferences(running: ExporterConfig, next: ExporterConfig): string[] {
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

export interface Restart {
  target: TargetConfig;
  /**
   * Same region, project and sources: the last complete data and the counters carry on (a
   * rotated key or a new schedule is no reason to reset them). Otherwise it is another target
   * under the old name, and its series start again.
   */
  keepsSeries: boolean;
}

export interface ReloadPlan {
  /** The configuration to run: the new one, but keys that need a restart keep running values. */
  effective: ExporterConfig;
  add: TargetConfig[];
  remove: string[];
  restart: Restart[];
  keep: string[];
  needsRestart: string[];
}

export function planReload(running: ExporterConfig, next: ExporterConfig): ReloadPlan {
  const effective: ExporterConfig = {
    ...next,
    server: running.server,
    poll: { ...next.poll, staleAfterMs: running.poll.staleAfterMs },
    metrics: running.metrics,
    state: running.state,
  };
  const before = new Map(ownedTargetsOf(running).map((t) => [t.name, t]));
  const wanted = ownedTargetsOf(effective);
  const wantedNames = new Set(wanted.map((t) => t.name));
  const plan: ReloadPlan = {
    effective,
    add: [],
    remove: [...before.keys()].filter((name) => !wantedNames.has(name)),
    restart: [],
    keep: [],
    needsRestart: restartOnlyDifferences(running, next),
  };
  for (const target of wanted) {
    const old = before.get(target.name);
    if (old === undefined) plan.add.push(target);
    else if (isDeepStrictEqual(runtimeSettings(running, old), runtimeSettings(effective, target))) {
      plan.keep.push(target.name);
    } else {
      const keepsSeries =
        old.region === target.region &&
        old.projectId === target.projectId &&
        isDeepStrictEqual(enabledSources(old), enabledSources(target));
      plan.restart.push({ target, keepsSeries });
    }
  }
  return plan;
}
