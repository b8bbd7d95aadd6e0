// The built-in simulator: one node:http server that answers the DLI Spark, DLI Flink and
// DataArts Factory list APIs from a seeded, evolving world, checks AK/SK signatures with its own
// verifier, and fails on demand. Used by `--demo`, the integration tests and the benchmarks.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type ApiAnswer,
  dliError,
  gatewayError,
  type PageBending,
  type PageSizeCaps,
} from "./api/answers.js";
import { listDataArtsJobs } from "./api/dataarts.js";
import { listFlinkJobs } from "./api/flink.js";
import { DATAARTS_MAX_RETURNED, type DataArtsOffsetMode, FLINK_MAX_LIMIT } from "./api/paging.js";
import { listSparkBatches, showSparkBatch } from "./api/spark.js";
import { type ApiName, type FaultRule, FaultSet, type FaultState, parseFaultRule } from "./faults.js";
import { DEFAULT_MAX_CLOCK_SKEW_MS, type SimulatorCredentials, verifyRequest } from "./signature.js";
import { type ChurnSettings, DEFAULT_CHURN } from "./world/churn.js";
import type { DataArtsJobRecord, DataArtsJobType, FlinkJobRecord, SparkSession } from "./world/jobs.js";
import { type JobCounts, World } from "./world/world.js";

export type { ApiName, FaultApi, FaultKind, FaultRule, FaultState } from "./faults.js";
export type { SimulatorCredentials } from "./signature.js";
export type { ChurnSettings } from "./world/churn.js";
export { DEFAULT_CHURN } from "./world/churn.js";
export type { DataArtsJobRecord, DataArtsJobType, FlinkJobRecord, SparkSession } from "./world/jobs.js";
export { FLINK_STATUSES } from "./world/jobs.js";

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
  /** Entries kept in the request log (default 10,000; counters are never trimmed). */
  requestLogLimit?: number;
}

export interface RequestLogEntry {
  seq: number;
  /** Server clock (ms). */
  time: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** The `workspace` header, undefined where absent. */
  workspace: string | undefined;
  api: ApiName | "unknown";
  /** 0 while unanswered (e.g. a hanging fault). */
  status: number;
  fault?: string;
}

export interface RequestCounts {
  total: number;
  byApi: Record<ApiName | "unknown", number>;
  byStatus: Record<string, number>;
}

export interface SparkControl {
  list(): SparkSession[];
  get(id: string): SparkSession | undefined;
  /** Creates (id generated when absent) or merges into an existing job; the job is pinned. */
  upsert(fields: Partial<SparkSession>): SparkSession;
  update(id: string, fields: Partial<SparkSession>): SparkSession;
  remove(id: string): boolean;
}

export interface FlinkControl {
  list(): FlinkJobRecord[];
  get(jobId: number): FlinkJobRecord | undefined;
  upsert(fields: Partial<FlinkJobRecord>): FlinkJobRecord;
  update(jobId: number, fields: Partial<FlinkJobRecord>): FlinkJobRecord;
  remove(jobId: number): boolean;
}

export interface DataArtsControl {
  workspaces(): string[];
  list(workspace?: string, jobType?: DataArtsJobType): DataArtsJobRecord[];
  get(workspace: string, name: string): DataArtsJobRecord | undefined;
  upsert(workspace: string, fields: Partial<DataArtsJobRecord> & { name: string }): DataArtsJobRecord;
  update(workspace: string, name: string, fields: Partial<DataArtsJobRecord>): DataArtsJobRecord;
  remove(workspace: string, name: string): boolean;
}

export interface Simulator {
  /** Base URL, usable as both the DLI and the DataArts endpoint. */
  url: string;
  port: number;
  projectId: string;
  credentials: SimulatorCredentials;
  /** World time (ms). */
  now(): number;
  tick(ms: number): void;
  /** Rebuilds the world from the seed at the current world time, or empties it. */
  reset(options?: { empty?: boolean }): void;
  spark: SparkControl;
  flink: FlinkControl;
  dataarts: DataArtsControl;
  faults: {
    add(rule: FaultRule): string;
    remove(id: string): boolean;
    clear(): void;
    list(): FaultState[];
  };
  requests: {
    log(): RequestLogEntry[];
    counts(): RequestCounts;
    clear(): void;
  };
  close(): Promise<void>;
}

interface Route {
  api: ApiName;
  projectId: string;
  batchId?: string;
}

const ROUTES: { api: ApiName; pattern: RegExp }[] = [
  { api: "spark", pattern: /^\/v2\.0\/([^/]+)\/batches\/?$/ },
  { api: "spark_details", pattern: /^\/v2\.0\/([^/]+)\/batches\/([^/]+)\/?$/ },
  { api: "flink", pattern: /^\/v1\.0\/([^/]+)\/streaming\/jobs\/?$/ },
  { api: "dataarts", pattern: /^\/v1\/([^/]+)\/jobs\/?$/ },
];

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function matchRoute(path: string): Route | undefined {
  for (const { api, pattern } of ROUTES) {
    const m = pattern.exec(path);
    if (m) {
      const route: Route = { api, projectId: safeDecode(m[1] ?? "") };
      if (m[2] !== undefined) route.batchId = safeDecode(m[2]);
      return route;
    }
  }
  return undefined;
}

/** A realistic body for a bare HTTP status fault. */
function statusAnswer(status: number, requestId: string): ApiAnswer {
  switch (status) {
    case 500:
      return gatewayError(500, "APIG.9999", "System error.", requestId);
    case 502:
      return gatewayError(502, "APIG.0202", "Backend unavailable.", requestId);
    case 503:
      return gatewayError(
        503,
        "APIG.0202",
        "Backend unavailable: service is busy, please try again later.",
        requestId,
      );
    case 504:
      return gatewayError(504, "APIG.0201", "Backend timeout.", requestId);
    case 404:
      return gatewayError(
        404,
        "APIG.0101",
        "The API does not exist or has not been published in the environment.",
        requestId,
      );
    default:
      return status >= 500
        ? gatewayError(status, "APIG.9999", "System error.", requestId)
        : gatewayError(status, "APIG.0201", "API request error.", requestId);
  }
}

function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    out[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return out;
}

function resolveCaps(option: SimulatorOptions["maxPageSize"]): PageSizeCaps {
  const caps: PageSizeCaps = { spark: 1000, flink: FLINK_MAX_LIMIT, dataarts: DATAARTS_MAX_RETURNED };
  if (typeof option === "number") return { spark: option, flink: option, dataarts: option };
  return { ...caps, ...option };
}

const JSON_TYPE = "application/json;charset=UTF-8";
const MAX_BODY_BYTES = 1024 * 1024;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const projectId = options.projectId ?? DEFAULT_PROJECT_ID;
  const credentials = { ...(options.credentials ?? DEFAULT_CREDENTIALS) };
  const clock = options.clock ?? Date.now;
  const caps = resolveCaps(options.maxPageSize);
  const offsetMode = options.dataartsOffset ?? "page";
  const latencyMs = options.latencyMs ?? 0;
  const logLimit = options.requestLogLimit ?? 10_000;
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
  const world = new World({
    seed: options.seed ?? 1,
    startMs: options.worldStartMs ?? clock(),
    counts: options.empty ? { spark: 0, flink: 0, dataarts: { BATCH: 0, REAL_TIME: 0 } } : counts,
    workspaces: workspaceIds,
    churn,
    sparkHistoryMs: options.sparkHistoryMs ?? 20 * 3_600_000,
  });
  const faults = new FaultSet();
  let log: RequestLogEntry[] = [];
  let seq = 0;
  const emptyCounts = (): RequestCounts => ({
    total: 0,
    byApi: { spark: 0, spark_details: 0, flink: 0, dataarts: 0, unknown: 0 },
    byStatus: {},
  });
  let counters = emptyCounts();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  };

  const record = (entry: RequestLogEntry, status: number): void => {
    entry.status = status;
    const key = String(status);
    counters.byStatus[key] = (counters.byStatus[key] ?? 0) + 1;
  };

  const sendJson = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "Content-Type": JSON_TYPE,
      "Content-Length": Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };

  // --- Control API (unsigned; for other processes such as benchmarks) ----------------------

  const handleControl = (req: IncomingMessage, res: ServerResponse, path: string, body: Buffer) => {
    const method = req.method ?? "GET";
    if (path === "/__simulator/faults") {
      if (method === "GET") return sendJson(res, 200, { faults: faults.list() });
      if (method === "DELETE") {
        faults.clear();
        res.writeHead(204).end();
        return;
      }
      if (method === "POST") {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString("utf8"));
        } catch {
          return sendJson(res, 400, { error: "the body must be a JSON fault rule" });
        }
        const rule = parseFaultRule(parsed);
        if (typeof rule === "string") return sendJson(res, 400, { error: rule });
        return sendJson(res, 201, { id: faults.add(rule) });
      }
    }
    const faultId = /^\/__simulator\/faults\/([^/]+)$/.exec(path)?.[1];
    if (faultId !== undefined && method === "DELETE") {
      const removed = faults.remove(safeDecode(faultId));
      res.writeHead(removed ? 204 : 404).end();
      return;
    }
    if (path === "/__simulator/requests") {
      if (method === "GET") return sendJson(res, 200, counters);
      if (method === "DELETE") {
        log = [];
        counters = emptyCounts();
        res.writeHead(204).end();
        return;
      }
    }
    if (path === "/__simulator/tick" && method === "POST") {
      let ms: unknown;
      try {
        ms = (JSON.parse(body.toString("utf8") || "{}") as { ms?: unknown }).ms;
      } catch {
        ms = undefined;
      }
      if (typeof ms !== "number" || !(ms >= 0) || !Number.isFinite(ms)) {
        return sendJson(res, 400, { error: 'body must be {"ms": <non-negative number>}' });
      }
      world.tick(ms);
      return sendJson(res, 200, { now: world.now });
    }
    sendJson(res, 404, { error: `no simulator control endpoint ${method} ${path}` });
  };

  // --- Answers and the ways faults spoil them -------------------------------------------

  const deliver = (
    res: ServerResponse,
    entry: RequestLogEntry,
    answer: ApiAnswer,
    fault?: FaultState,
  ): void => {
    const text = JSON.stringify(answer.body);
    // The gateway's Date is its own clock: with `clock` set, clients can measure the skew.
    const headers: Record<string, string> = {
      "Content-Type": JSON_TYPE,
      Date: new Date(clock()).toUTCString(),
    };
    if (answer.status === 429 && fault?.retryAfterSeconds !== undefined) {
      headers["Retry-After"] = String(fault.retryAfterSeconds);
    }
    record(entry, answer.status);
    const kind = fault?.kind;
    if (kind === "invalid_json") {
      const cut = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
      res.writeHead(answer.status, { ...headers, "Content-Length": Buffer.byteLength(cut) });
      res.end(cut);
      return;
    }
    const bytes = Buffer.from(text, "utf8");
    if (kind === "reset") {
      res.writeHead(answer.status, { ...headers, "Content-Length": bytes.length });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
      return;
    }
    if (kind === "drip") {
      res.writeHead(answer.status, { ...headers, "Content-Length": bytes.length });
      res.flushHeaders();
      const interval = fault?.intervalMs ?? 100;
      let i = 0;
      const timer = setInterval(() => {
        if (closed || res.destroyed) {
          clearInterval(timer);
          timers.delete(timer);
          return;
        }
        res.write(bytes.subarray(i, i + 1));
        i++;
        if (i >= bytes.length) {
          clearInterval(timer);
          timers.delete(timer);
          res.end();
        }
      }, interval);
      timers.add(timer);
      res.on("close", () => {
        clearInterval(timer);
        timers.delete(timer);
      });
      return;
    }
    if (kind === "huge_body") {
      // Valid JSON of the right shape plus a padding field, streamed so memory stays flat.
      const padBytes = (fault?.bytes ?? 16 * 1024 * 1024) + 1;
      const head = Buffer.from('{"padding":"');
      const tail = Buffer.from(`",${text.slice(1)}`);
      res.writeHead(answer.status, { ...headers, "Content-Length": head.length + padBytes + tail.length });
      res.write(head);
      const chunk = Buffer.alloc(64 * 1024, "x");
      let left = padBytes;
      const pump = (): void => {
        while (left > 0 && !res.destroyed) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            res.once("drain", pump);
            return;
          }
        }
        if (!res.destroyed) res.end(tail);
      };
      pump();
      return;
    }
    res.writeHead(answer.status, { ...headers, "Content-Length": bytes.length });
    res.end(bytes);
  };

  const answerApi = (
    req: IncomingMessage,
    res: ServerResponse,
    entry: RequestLogEntry,
    route: Route,
    query: URLSearchParams,
    workspace: string,
    body: Buffer,
    requestId: string,
  ) => {
    const verdict = verifyRequest(
      { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body },
      { credentials, nowMs: clock(), maxClockSkewMs: options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS },
    );
    if (!verdict.ok) return deliver(res, entry, gatewayError(401, verdict.code, verdict.message, requestId));
    const headerProject = req.headers["x-project-id"];
    if (route.projectId !== projectId || (typeof headerProject === "string" && headerProject !== projectId)) {
      return deliver(
        res,
        entry,
        gatewayError(403, "APIG.0302", "The IAM user is not authorized to access the API.", requestId),
      );
    }
    const fault = faults.take({ api: route.api, query, workspace });
    const bend: PageBending = {};
    if (fault) {
      entry.fault = fault.kind;
      switch (fault.kind) {
        case "status":
          return deliver(res, entry, statusAnswer(fault.status ?? 500, requestId), fault);
        case "dli_0999":
          return deliver(res, entry, dliError("DLI.0999", "Server system error."), fault);
        case "throttle":
          return deliver(
            res,
            entry,
            gatewayError(
              429,
              "APIG.0308",
              "The throttling threshold has been reached: policy user over ratelimit,limit:100,time:1 minute",
              requestId,
            ),
            fault,
          );
        case "auth":
          return deliver(
            res,
            entry,
            gatewayError(
              401,
              "APIG.0301",
              "Incorrect IAM authentication information: verify aksk signature fail",
              requestId,
            ),
            fault,
          );
        case "forbidden":
          return deliver(
            res,
            entry,
            gatewayError(403, "APIG.0302", "The IAM user is not authorized to access the API.", requestId),
            fault,
          );
        case "hang":
          return; // answered never; close() tears the socket down
        case "not_success":
          return deliver(res, entry, {
            status: 200,
            body: {
              is_success: "false",
              message: "Failed to query the job list.",
              job_list: { total_count: 0, jobs: [] },
            },
          });
        case "wrong_shape":
          bend.wrongShape = true;
          break;
        case "total_lies":
          bend.totalDelta = fault.delta ?? 1;
          break;
        case "ignore_offset":
          bend.ignoreOffset = true;
          break;
        case "duplicate_page":
          bend.duplicatePage = true;
          break;
        case "empty_page":
          bend.emptyPage = true;
          break;
        default:
          break; // transport faults (drip, reset, invalid_json, huge_body) act in deliver()
      }
    }
    let answer: ApiAnswer;
    switch (route.api) {
      case "spark":
        answer = listSparkBatches(world, query, caps, bend);
        break;
      case "spark_details":
        answer = showSparkBatch(world, route.batchId ?? "", bend);
        break;
      case "flink":
        answer = listFlinkJobs(world, projectId, query, caps, bend);
        break;
      case "dataarts":
        answer = listDataArtsJobs(world, workspace, query, caps, offsetMode, bend);
        break;
    }
    deliver(res, entry, answer, fault);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const requestId = randomUUID().replace(/-/g, "");
    res.setHeader("X-Request-Id", requestId);
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q < 0 ? "" : rawUrl.slice(q + 1));
    if (path.startsWith("/__simulator/")) return handleControl(req, res, path, body);

    const route = req.method === "GET" ? matchRoute(path) : undefined;
    const workspaceHeader = req.headers.workspace;
    const workspace = typeof workspaceHeader === "string" ? workspaceHeader : undefined;
    const entry: RequestLogEntry = {
      seq: ++seq,
      time: clock(),
      method: req.method ?? "GET",
      path,
      query: queryRecord(query),
      workspace,
      api: route?.api ?? "unknown",
      status: 0,
    };
    log.push(entry);
    if (log.length > logLimit * 2) log = log.slice(-logLimit);
    counters.total++;
    counters.byApi[entry.api]++;

    const respond = () => {
      if (!route) {
        return deliver(
          res,
          entry,
          gatewayError(
            404,
            "APIG.0101",
            "The API does not exist or has not been published in the environment.",
            requestId,
          ),
        );
      }
      answerApi(req, res, entry, route, query, workspace ?? "", body, requestId);
    };
    if (latencyMs > 0) later(latencyMs, respond);
    else respond();
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      try {
        onRequest(req, res, Buffer.concat(chunks));
      } catch (err) {
        // A simulator bug must show up as a 500 in the test, not as a hung request.
        if (!res.headersSent) sendJson(res, 500, { error_code: "SIM.0500", error_msg: String(err) });
      }
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let autoTick: NodeJS.Timeout | undefined;
  if (options.autoTickMs && options.autoTickMs > 0) {
    const every = options.autoTickMs;
    autoTick = setInterval(() => world.tick(every), every);
    autoTick.unref();
  }

  // --- In-process control ------------------------------------------------------------------

  const copySpark = (j: SparkSession): SparkSession => ({
    ...j,
    log: [...j.log],
    appId: Array.isArray(j.appId) ? [...j.appId] : j.appId,
  });

  const spark: SparkControl = {
    list: () => world.spark.all().map(copySpark),
    get: (id) => {
      const j = world.spark.get(id);
      return j ? copySpark(j) : undefined;
    },
    upsert: (fields) => {
      const existing = fields.id ? world.spark.get(fields.id) : undefined;
      const id = fields.id ?? randomUUID();
      const queue = fields.queue ?? existing?.queue ?? "default";
      const base: SparkSession = existing ?? {
        id,
        state: "running",
        appId: "",
        log: [],
        sc_type: "A",
        cluster_name: queue,
        queue,
        create_time: world.now,
        update_time: world.now,
        duration: 0,
        name: `job-${id.slice(0, 8)}`,
        owner: "tester",
        proxyUser: "tester",
        kind: "spark",
        image: "",
        req_body: "{}",
        feature: "basic",
        spark_version: "3.3.1",
      };
      const job = { ...base, ...fields, id };
      world.pinSpark(id);
      world.spark.put(job);
      return copySpark(job);
    },
    update: (id, fields) => {
      if (!world.spark.get(id)) throw new Error(`no Spark batch ${id}`);
      return spark.upsert({ ...fields, id });
    },
    remove: (id) => {
      world.pinSpark(id);
      return world.spark.delete(id);
    },
  };

  const flink: FlinkControl = {
    list: () => world.flink.all().map((j) => ({ ...j })),
    get: (jobId) => {
      const j = world.flink.get(String(jobId));
      return j ? { ...j } : undefined;
    },
    upsert: (fields) => {
      const jobId = fields.job_id ?? world.allocateFlinkId();
      const existing = world.flink.get(String(jobId));
      const base: FlinkJobRecord = existing ?? {
        job_id: jobId,
        name: `flink-${jobId}`,
        desc: "",
        user_name: "tester",
        job_type: "flink_opensource_sql_job",
        status: "job_running",
        status_desc: "",
        create_time: world.now,
        start_time: world.now,
        duration: 0,
        queue_name: "default",
        restart_times: 0,
        root_id: -1,
        graph_editor_enabled: false,
        has_savepoint: false,
        update_time: world.now,
        user_id: "0".repeat(32),
        run_mode: "exclusive_cluster",
      };
      const job = { ...base, ...fields, job_id: jobId };
      world.pinFlink(jobId);
      world.flink.put(job);
      return { ...job };
    },
    update: (jobId, fields) => {
      if (!world.flink.get(String(jobId))) throw new Error(`no Flink job ${jobId}`);
      return flink.upsert({ ...fields, job_id: jobId });
    },
    remove: (jobId) => {
      world.pinFlink(jobId);
      return world.flink.delete(String(jobId));
    },
  };

  const workspaceOf = (id: string) => {
    const ws = world.workspaces.get(id);
    if (!ws) throw new Error(`no DataArts workspace '${id}' (configure it in options.workspaces)`);
    return ws;
  };

  const dataarts: DataArtsControl = {
    workspaces: () => [...world.workspaces.keys()],
    list: (workspace = "", jobType) => {
      const ws = workspaceOf(workspace);
      const types: DataArtsJobType[] = jobType ? [jobType] : ["BATCH", "REAL_TIME"];
      return types.flatMap((t) => ws.byType[t].all().map((j) => ({ ...j })));
    },
    get: (workspace, name) => {
      const j = workspaceOf(workspace).get(name);
      return j ? { ...j } : undefined;
    },
    upsert: (workspace, fields) => {
      const ws = workspaceOf(workspace);
      const existing = ws.get(fields.name);
      const jobType = fields.jobType ?? existing?.jobType ?? "BATCH";
      const base: DataArtsJobRecord = existing ?? {
        name: fields.name,
        jobType,
        owner: "tester",
        priority: 0,
        status: jobType === "BATCH" ? "SCHEDULING" : "NORMAL",
        createUser: "tester",
        createTime: world.now,
        startTime: world.now,
        lastUpdateTime: world.now,
        lastUpdateUser: "tester",
        path: "/",
        singleNodeJobFlag: false,
      };
      const job: DataArtsJobRecord = { ...base, ...fields, jobType };
      if (existing) {
        world.pinDataArts(existing);
        ws.byType[existing.jobType].delete(existing.name);
      }
      ws.byType[jobType].put(job);
      return { ...job };
    },
    update: (workspace, name, fields) => {
      if (!workspaceOf(workspace).get(name))
        throw new Error(`no DataArts job '${name}' in workspace '${workspace}'`);
      return dataarts.upsert(workspace, { ...fields, name });
    },
    remove: (workspace, name) => {
      const ws = workspaceOf(workspace);
      const existing = ws.get(name);
      if (!existing) return false;
      world.pinDataArts(existing);
      return ws.byType[existing.jobType].delete(name);
    },
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    projectId,
    credentials,
    now: () => world.now,
    tick: (ms) => world.tick(ms),
    reset: (opts) => world.resetTo(opts?.empty ?? false),
    spark,
    flink,
    dataarts,
    faults: {
      add: (rule) => faults.add(rule),
      remove: (id) => faults.remove(id),
      clear: () => faults.clear(),
      list: () => faults.list(),
    },
    requests: {
      log: () => log.slice(-logLimit).map((e) => ({ ...e })),
      counts: () => structuredClone(counters),
      clear: () => {
        log = [];
        counters = emptyCounts();
      },
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (autoTick) clearInterval(autoTick);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}
