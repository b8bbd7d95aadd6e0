// The built-in simulator: one node:http server that answers the DLI Spark, DLI Flink and
// DataArts Factory list APIs from a seeded, evolving world, checks AK/SK signatures with its own
// verifier, and fails on demand. Used by `--demo`, the integration tests and the benchmarks.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type ApiAnswer, dliError, gatewayError, type PageBending } from "./api/answers.js";
import { listDataArtsJobs } from "./api/dataarts.js";
import { listFlinkJobs } from "./api/flink.js";
import { listSparkBatches, showSparkBatch } from "./api/spark.js";
import { type ApiName, type FaultRule, FaultSet, type FaultState, parseFaultRule } from "./faults.js";
import {
  type DataArtsControl,
  dataartsControl,
  type FlinkControl,
  flinkControl,
  type SparkControl,
  sparkControl,
} from "./job-control.js";
import { resolveSettings, resolveWorldOptions, type SimulatorOptions } from "./options.js";
import { type SimulatorCredentials, verifyRequest } from "./signature.js";
import { World } from "./world/world.js";

export type { ApiName, FaultApi, FaultKind, FaultRule, FaultState } from "./faults.js";
export type { DataArtsControl, FlinkControl, SparkControl } from "./job-control.js";
export { DEFAULT_CREDENTIALS, DEFAULT_PROJECT_ID, type SimulatorOptions } from "./options.js";
export type { SimulatorCredentials } from "./signature.js";
export type { ChurnSettings } from "./world/churn.js";
export { DEFAULT_CHURN } from "./world/churn.js";
export type { DataArtsJobRecord, DataArtsJobType, FlinkJobRecord, SparkSession } from "./world/jobs.js";
export { FLINK_STATUSES } from "./world/jobs.js";

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

const JSON_TYPE = "application/json;charset=UTF-8";
const MAX_BODY_BYTES = 1024 * 1024;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const settings = resolveSettings(options);
  const { projectId, credentials, clock, caps, offsetMode, latencyMs, maxClockSkewMs } = settings;
  const logLimit = settings.requestLogLimit;
  const world = new World(resolveWorldOptions(options, clock));
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
      { credentials, nowMs: clock(), maxClockSkewMs },
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

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    projectId,
    credentials,
    now: () => world.now,
    tick: (ms) => world.tick(ms),
    reset: (opts) => world.resetTo(opts?.empty ?? false),
    spark: sparkControl(world),
    flink: flinkControl(world),
    dataarts: dataartsControl(world),
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
