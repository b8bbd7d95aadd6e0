// What startSimulator accepts, and the settings it resolves once from it (defaults applied), so
// the rest of the simulator reads one plain object instead of re-deciding defaults.

import type { PageSizeCaps } from "./api/answers.js";
import type { RecordWeight } from "./api/heavy.js";
import { DATAARTS_MAX_RETURNED, type DataArtsOffsetMode, FLINK_MAX_LIMIT } from "./api/paging.js";
import { DEFAULT_MAX_CLOCK_SKEW_MS, type SimulatorCredentials } from "./signature.js";
import { type ChurnSettings, DEFAULT_CHURN } from "./world/churn.js";
import type { JobCounts, WorldOptions } from "./world/world.js";

export const DEFAULT_PROJECT_ID = "5f1c3e7a9b2d4c6e8f0a1b2c3d4e5f60";
export const DEFAULT_CREDENTIALS: SimulatorCredentials = {
  accessKey: "SIMULATORACCESSKEY00",
  secretKey: "simulator-secret-key-not-a-real-one",
};

export interface SimulatorOptions {
  /** 0 (default) picks a free port. The server listens on 127.0.0.1 only. */
  port?: number;
  projectId?: string;
  /** Requests must be signed with these. */
  credentials?: SimulatorCredentials;
  /** Extra DataArts workspace ids; the default workspace (no or empty header) exists besides them. */
  workspaces?: readonly string[];
  /** false: no default workspace, so a request without the header gets the DLF error. */
  defaultWorkspace?: boolean;
  /** Jobs generated at start (DataArts: per workspace and job type). */
  jobs?: { spark?: number; flink?: number; dataarts?: { BATCH?: number; REAL_TIME?: number } };
  /** Start with no jobs at all (tests then add exactly what they need). */
  empty?: boolean;
  /** What DataArts `offset` means: the page index, as the docs say (default), or a record offset. */
  dataartsOffset?: DataArtsOffsetMode;
  /** Caps on size/limit; defaults: spark 1000 (undocumented), flink 100 and dataarts 100 (docs). */
  maxPageSize?: number | Partial<PageSizeCaps>;
  /** Added before every API answer. */
  latencyMs?: number;
  seed?: number;
  /** Server time for the signature check (default Date.now). */
  clock?: () => number;
  /** World time at start (default: clock()). The world then moves only through tick(). */
  worldStartMs?: number;
  /** false: tick() moves the clock but no job changes; an object overrides default rates. */
  churn?: boolean | Partial<ChurnSettings>;
  /** Real-time interval at which the world ticks by itself (demo); off by default. */
  autoTickMs?: number;
  maxClockSkewMs?: number;
  /** Spread of initial Spark creation times (default 20 h, inside a 24 h lookback). */
  sparkHistoryMs?: number;
  /** Spark runs share this many names (pipelines), as scheduled batches do; default: a name per run. */
  sparkPipelines?: number;
  /** Entries kept in the request log (default 10,000; counters are never trimmed). */
  requestLogLimit?: number;
  /**
   * "heavy": answers carry every documented field with long texts (ten Spark `log` lines, a
   * ~2 KB `req_body`, Flink's `job_config` and SQL, long DataArts paths); default "standard".
   */
  records?: RecordWeight;
}

export interface Settings {
  projectId: string;
  credentials: SimulatorCredentials;
  /** Server time: the signature check, the Date header and the request log read it. */
  clock: () => number;
  caps: PageSizeCaps;
  offsetMode: DataArtsOffsetMode;
  latencyMs: number;
  maxClockSkewMs: number;
  requestLogLimit: number;
  records: RecordWeight;
}

export function resolveSettings(options: SimulatorOptions): Settings {
  return {
    projectId: options.projectId ?? DEFAULT_PROJECT_ID,
    credentials: { ...(options.credentials ?? DEFAULT_CREDENTIALS) },
    clock: options.clock ?? Date.now,
    caps: resolveCaps(options.maxPageSize),
    offsetMode: options.dataartsOffset ?? "page",
    latencyMs: options.latencyMs ?? 0,
    maxClockSkewMs: options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS,
    requestLogLimit: options.requestLogLimit ?? 10_000,
    records: options.records ?? "standard",
  };
}

function resolveCaps(option: SimulatorOptions["maxPageSize"]): PageSizeCaps {
  const caps: PageSizeCaps = { spark: 1000, flink: FLINK_MAX_LIMIT, dataarts: DATAARTS_MAX_RETURNED };
  if (typeof option === "number") return { spark: option, flink: option, dataarts: option };
  return { ...caps, ...option };
}

/** The world's options; world time starts at `worldStartMs`, else at the server clock's now. */
export function resolveWorldOptions(options: SimulatorOptions, clock: () => number): WorldOptions {
  const workspaceIds = [...new Set(options.workspaces ?? [])].filter((w) => w !== "");
  if (options.defaultWorkspace !== false) workspaceIds.unshift("");
  const counts: JobCounts = {
    spark: options.jobs?.spark ?? 60,
    flink: options.jobs?.flink ?? 25,
    dataarts: {
      BATCH: options.jobs?.dataarts?.BATCH ?? 20,
      REAL_TIME: options.jobs?.dataarts?.REAL_TIME ?? 6,
    },
  };
  const churn: ChurnSettings | false =
    options.churn === false
      ? false
      : { ...DEFAULT_CHURN, ...(typeof options.churn === "object" ? options.churn : {}) };
  return {
    seed: options.seed ?? 1,
    startMs: options.worldStartMs ?? clock(),
    counts: options.empty ? { spark: 0, flink: 0, dataarts: { BATCH: 0, REAL_TIME: 0 } } : counts,
    workspaces: workspaceIds,
    churn,
    sparkHistoryMs: options.sparkHistoryMs ?? 20 * 3_600_000,
    sparkPipelines: options.sparkPipelines,
  };
}
