// The built-in simulator: one node:http server that answers the DLI Spark, DLI Flink and
// DataArts Factory list APIs from a seeded, evolving world, checks AK/SK signatures with its own
// verifier, and fails on demand. Used by `--demo`, the integration tests and the benchmarks.
// This file starts the server and wires the parts; it is also the one entry other code imports.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { handleControl } from "./control-api.js";
import { sendJson } from "./delivery.js";
import { type FaultRule, FaultSet, type FaultState } from "./faults.js";
import { type GatewayParts, handleApiRequest } from "./gateway.js";
import {
  type DataArtsControl,
  dataartsControl,
  type FlinkControl,
  flinkControl,
  type SparkControl,
  sparkControl,
} from "./job-control.js";
import { resolveSettings, resolveWorldOptions, type SimulatorOptions } from "./options.js";
import { type RequestCounts, RequestLog, type RequestLogEntry } from "./request-log.js";
import { CONTROL_PREFIX, splitUrl } from "./routing.js";
import type { SimulatorCredentials } from "./signature.js";
import { Timers } from "./timers.js";
import { World } from "./world/world.js";

export type { ApiName, FaultApi, FaultKind, FaultRule, FaultState } from "./faults.js";
export type { DataArtsControl, FlinkControl, SparkControl } from "./job-control.js";
export { DEFAULT_CREDENTIALS, DEFAULT_PROJECT_ID, type SimulatorOptions } from "./options.js";
export type { RequestCounts, RequestLogEntry } from "./request-log.js";
export type { SimulatorCredentials } from "./signature.js";
export type { ChurnSettings } from "./world/churn.js";
export { DEFAULT_CHURN } from "./world/churn.js";
export type { DataArtsJobRecord, DataArtsJobType, FlinkJobRecord, SparkSession } from "./world/jobs.js";
export { FLINK_STATUSES } from "./world/jobs.js";

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

const MAX_BODY_BYTES = 1024 * 1024;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const settings = resolveSettings(options);
  const world = new World(resolveWorldOptions(options, settings.clock));
  const parts: GatewayParts = {
    settings,
    world,
    faults: new FaultSet(),
    requests: new RequestLog(settings.requestLogLimit, settings.clock),
    timers: new Timers(),
  };
  const server = createServer((req, res) => {
    readBody(req, (body) => {
      try {
        onRequest(parts, req, res, body);
      } catch (err) {
        // A simulator bug must show up as a 500 in the test, not as a hung request.
        if (!res.headersSent) sendJson(res, 500, { error_code: "SIM.0500", error_msg: String(err) });
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  const port = await listen(server, options.port ?? 0);

  let autoTick: NodeJS.Timeout | undefined;
  if (options.autoTickMs && options.autoTickMs > 0) {
    const every = options.autoTickMs;
    autoTick = setInterval(() => world.tick(every), every);
    autoTick.unref();
  }

  const { faults, requests, timers } = parts;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    projectId: settings.projectId,
    credentials: settings.credentials,
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
      log: () => requests.log(),
      counts: () => requests.counts(),
      clear: () => requests.clear(),
    },
    close: async () => {
      if (timers.closed) return;
      if (autoTick) clearInterval(autoTick);
      timers.close();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}

/** Every answer carries a fresh X-Request-Id; the control API is told apart by its prefix. */
function onRequest(parts: GatewayParts, req: IncomingMessage, res: ServerResponse, body: Buffer) {
  const requestId = randomUUID().replace(/-/g, "");
  res.setHeader("X-Request-Id", requestId);
  const { path, query } = splitUrl(req.url ?? "/");
  if (path.startsWith(CONTROL_PREFIX)) return handleControl(parts, req, res, path, body);
  handleApiRequest(parts, req, res, path, query, body, requestId);
}

/** The whole request body; a body over MAX_BODY_BYTES destroys the request. */
function readBody(req: IncomingMessage, onBody: (body: Buffer) => void): void {
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
  req.on("end", () => onBody(Buffer.concat(chunks)));
}

/** Listens on 127.0.0.1 only; port 0 picks a free port. Resolves to the port. */
async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
