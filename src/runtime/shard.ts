// Sharding: which targets this process polls when several replicas share one configuration.
// A target belongs to shard `fnv1a32(utf8(name)) mod total_shards`. The hash is FNV-1a, 32 bits,
// over the UTF-8 bytes of the target's name: stable across versions, platforms and Node
// releases, so a target moves only when the number of shards changes.

import { hostname } from "node:os";
import { ConfigError } from "../config/errors.js";
import type { ExporterConfig } from "../config/types.js";

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32 bits, of the UTF-8 bytes of `text`, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** The shard (0 .. totalShards-1) that polls the target named `name`. */
export function shardOf(name: string, totalShards: number): number {
  if (!Number.isInteger(totalShards) || totalShards < 1) {
    throw new RangeError(`total shards ${totalShards}: expected a whole number of at least 1`);
  }
  return fnv1a32(name) % totalShards;
}

export interface ShardAssignment {
  /** This process's shard, 0-based. */
  shard: number;
  totalShards: number;
}

/** The targets this process owns; every target when there is one shard. */
export function ownedTargets<T extends { name: string }>(
  targets: readonly T[],
  assignment: ShardAssignment,
): T[] {
  if (assignment.totalShards <= 1) return [...targets];
  return targets.filter((t) => shardOf(t.name, assignment.totalShards) === assignment.shard);
}

/**
 * The ordinal a StatefulSet gives its pod, from the host name (`exporter-2` → 2); undefined
 * when the name does not end in `-<digits>`.
 */
export function ordinalFromHostname(name: string): number | undefined {
  const match = /-(\d{1,6})$/.exec(name.trim());
  return match ? Number(match[1]) : undefined;
}

/** The host name a StatefulSet pod sees: `HOSTNAME` when set (tests), else the kernel's. */
export function currentHostname(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOSTNAME && env.HOSTNAME !== "" ? env.HOSTNAME : hostname();
}

/** One line for /readyz and the logs: `shard 1 of 3 (owns 4 of 11 targets)`. */
export function describeAssignment(assignment: ShardAssignment, owned: number, configured: number): string {
  return `shard ${assignment.shard} of ${assignment.totalShards} (owns ${owned} of ${configured} targets)`;
}

export interface ShardOverrides {
  shard?: number;
  totalShards?: number;
  shardFromHostname?: boolean;
}

/**
 * The config with its shard settled: flags over the file's `sharding` keys, and the pod ordinal
 * where the shard comes from the host name. A shard that cannot be settled is a ConfigError.
 */
export function resolveSharding(
  config: ExporterConfig,
  overrides: ShardOverrides,
  host: string = currentHostname(),
): ExporterConfig {
  const file = config.sharding ?? { shard: 0, totalShards: 1, shardFromHostname: false };
  const totalShards = overrides.totalShards ?? file.totalShards;
  const fromHostname =
    overrides.shardFromHostname ?? (overrides.shard === undefined && file.shardFromHostname);
  let shard = overrides.shard ?? file.shard;
  if (fromHostname) {
    const ordinal = ordinalFromHostname(host);
    if (ordinal === undefined) {
      const problem = `the host name "${host}" does not end in -<number>; expected a StatefulSet pod name such as exporter-2, or --shard N`;
      throw new ConfigError(`invalid sharding: ${problem}`, [problem]);
    }
    shard = ordinal;
  }
  if (shard >= totalShards) {
    const problem = `shard ${shard}${fromHostname ? ` (from the host name "${host}")` : ""} is not below total_shards ${totalShards}; expected a shard from 0 to ${totalShards - 1} (raise --total-shards / sharding.total_shards with the replicas)`;
    throw new ConfigError(`invalid sharding: ${problem}`, [problem]);
  }
  return { ...config, sharding: { shard, totalShards, shardFromHostname: fromHostname } };
}
