// `npm run bench`: the exporter against the simulator, every figure of issue 13's goals
// measured in one run on one machine, printed as one table and written to
// bench/results/<date>.md.
//
// Processes: the simulator (bench/simulator-server.ts) in each of two worlds (its own records,
// and heavier records of the same static jobs), the exporter under test
// (bench/exporter-process.mjs, polls driven over IPC), the floor (bench/floor.mjs: the same
// requests, received and JSON.parse()d, nothing else), nginx serving a static copy of the same
// body (the ceiling), the prom-client peer (bench/peer.mjs), and wrk for the scrape load. This
// process only orchestrates, plus a slow fixed-rate scraper for latency. CPU per poll is the
// whole process's (every thread) from the poll's start until the process is idle again, its
// idle rate subtracted (bench/cpu-window.mjs). See docs/performance.md.
//
//   npm run bench                      headline 10,000 jobs per source, scaling 1k/10k/50k, both worlds
//   npm run bench -- --quick           1,000 jobs per source, short runs, no scaling (CI)
//   npm run bench -- --soak 500        also the 500-poll memory run with 5 % churn per poll, per world
//   options: --jobs N --latency MS --duration S --scaling 1000,10000,50000 --no-scaling
//            --worlds simulator,heavy --flat-polls N --no-build --out DIR

import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Agent, request } from "undici";
import {
  BENCH_POLL,
  benchExporterConfig,
  ROOT,
  type SimulatorBanner,
  simulatorArgs,
  spawnBenchExporter,
  TSX,
  type World,
} from "./launch.js";

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    jobs: { type: "string" },
    latency: { type: "string", default: "50" },
    duration: { type: "string" },
    scaling: { type: "string", default: "1000,10000,50000" },
    "no-scaling": { type: "boolean", default: false },
    soak: { type: "string" },
    worlds: { type: "string", default: "simulator,heavy" },
    "flat-polls": { type: "string" },
    "no-build": { type: "boolean", default: false },
    out: { type: "string", default: join(ROOT, "bench", "results") },
  },
});

const QUICK = opts.quick === true;
const JOBS = Number(opts.jobs ?? (QUICK ? 1000 : 10000));
const LATENCY_MS = Number(opts.latency);
const WRK_SECONDS = Number(opts.duration ?? (QUICK ? 2 : 5));
const CONNECTIONS = 16;
const { concurrency: CONCURRENCY, pageSize: PAGE_SIZE, detailsPerPoll: DETAILS_PER_POLL } = BENCH_POLL;
const CHURN = 0.05;
const WORLDS = opts.worlds.split(",").map((w) => {
  if (w !== "simulator" && w !== "heavy") throw new Error(`--worlds: unknown world ${w}`);
  return w as World;
});
/**
 * CPU per poll is the steady state of a long-running exporter: every size is measured the same
 * way, after the same polls of warm-up (V8 still compiles the hot paths in the first few).
 */
const WARM_UP_POLLS = 3;
/**
 * And on, up to this many polls, while the poll's work is still settling: a new exporter asks
 * for the details of every Spark job it serves, `details_per_poll` calls a poll, until each
 * was asked once; from then on only the new jobs' calls remain. The warm-up runs on until that
 * backlog is worked off, where the rate seen so far would work it off within this limit (at
 * 1,000 jobs per source; at 10,000 and up it would take hundreds of polls, and the warm-up
 * ends at WARM_UP_POLLS). The quick run stops at WARM_UP_POLLS.
 */
const MAX_WARM_UP_POLLS = QUICK ? WARM_UP_POLLS : 120;
/** The quiet window over which each process's idle rate is measured (no poll, no scrape). */
const IDLE_RATE_MS = QUICK ? 1000 : 2000;
/** Polls of unchanged jobs, each followed by the floor replaying the same requests (goal 2a). */
const UNCHANGED_POLLS = QUICK ? 3 : 5;
/** Unmeasured replays of the first of them that warm the floor up (JIT, connections). */
const FLOOR_WARM_UP = 2;
/**
 * Polls with 5 % churn before each and no scrape: CPU per poll (2b) is their median, the wall
 * time (3) their median per source, and RSS after each settles gives the flat growth (5c).
 */
const CHURN_POLLS = Number(opts["flat-polls"] ?? (QUICK ? 5 : 12));
/**
 * Polls per scaling point (2c), fewer at 50,000 jobs per source where one lasts ~15 s on two
 * cores (their spread is a few per cent there; the full run must stay within ~12 minutes).
 */
const SCALE_POLLS = (jobs: number) => (jobs >= 50_000 ? 3 : 7);
const LATENCY_POLLS = QUICK ? 1 : 3;
const IDLE_WINDOW_MS = QUICK ? 1500 : 6000;
/** The 1,000 jobs per source of goal 5a, and the 10,000 of 5b. */
const SMALL_JOBS = 1000;
const SERIES_JOBS = 10_000;
const SOAK_POLLS = opts.soak === undefined ? undefined : Number(opts.soak || 500);
// Without the scaling run the table still shows the headline's own row.
const SCALING = QUICK || opts["no-scaling"] ? [JOBS] : opts.scaling.split(",").map(Number);
/** Warm-up polls made, by world and jobs per source, for the report. */
const warmUpPolls: string[] = [];

const children = new Set<ChildProcess>();
const scratch = mkdtempSync(join(tmpdir(), "hcje-bench-"));

const benchStarted = Date.now();
function log(message: string): void {
  process.stderr.write(`[bench +${Math.round((Date.now() - benchStarted) / 1000)}s] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Tools and processes
// ---------------------------------------------------------------------------------------------

function has(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** nginx and wrk from Debian, installed where missing; undefined where that is not possible. */
function ensureTools(): { nginx?: string; wrk?: string } {
  const missing = ["nginx", "wrk"].filter((c) => !has(c) && !has(`/usr/sbin/${c}`));
  if (missing.length > 0 && has("apt-get")) {
    const packages = missing.map((c) => (c === "nginx" ? "nginx-light" : c));
    const sudo = process.getuid?.() === 0 ? [] : has("sudo") ? ["sudo", "-n"] : undefined;
    if (sudo) {
      log(`installing ${packages.join(", ")} with apt-get`);
      const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
      const run = (args: string[]) => spawnSync(args[0] as string, args.slice(1), { stdio: "ignore", env });
      run([...sudo, "apt-get", "update", "-qq"]);
      run([...sudo, "apt-get", "install", "-y", "--no-install-recommends", ...packages]);
    }
  }
  const find = (c: string) => (has(c) ? c : has(`/usr/sbin/${c}`) ? `/usr/sbin/${c}` : undefined);
  const tools: { nginx?: string; wrk?: string } = {};
  const nginx = find("nginx");
  const wrk = find("wrk");
  if (nginx) tools.nginx = nginx;
  if (wrk) tools.wrk = wrk;
  return tools;
}

function build(): void {
  if (opts["no-build"]) return;
  log("building dist/ (tsc -p tsconfig.build.json)");
  const result = spawnSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(`the build failed:\n${result.stdout}${result.stderr}`);
  }
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** Spawns and waits for the first stdout line, a JSON object. */
async function spawnWithBanner<T>(
  command: string,
  args: string[],
): Promise<{ child: ChildProcess; banner: T }> {
  const child = track(spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] }));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await Promise.race([
    once(lines, "line"),
    once(child, "exit").then(([code]) => {
      throw new Error(`${args[0]} exited with ${code} before it was ready`);
    }),
  ])) as [string];
  return { child, banner: JSON.parse(line) as T };
}

async function startSim(world: World, jobs: number) {
  log(`simulator (${world}): ${jobs} jobs per source, ${LATENCY_MS} ms per request`);
  return spawnWithBanner<SimulatorBanner>(TSX, simulatorArgs(jobs, LATENCY_MS, world));
}

interface Expected {
  spark: { listings: number[]; details: number; detailsBacklog?: number };
  flink: { listings: number[]; details: number };
  dataarts: { listings: number[]; details: number };
  detailsAsked: number;
  detailsRepeated: number;
}

async function getJson<T>(url: string, init?: { method?: string; body?: string }): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url}: ${res.status}`);
  return (await res.json()) as T;
}

interface RequestCounts {
  byApi: Record<string, number>;
}

/** What bench/cpu-window.mjs measures of one poll, in the exporter or in the floor. */
interface Window {
  /** Whole-process CPU from the poll's start until idle again, idle subtracted. */
  cpuMs: number;
  rawCpuMs: number;
  idleMs: number;
  idleRate: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Until the poll's promise resolved. */
  wallMs: number;
  /** From then until the process was idle again. */
  settleMs: number;
  settled: boolean;
  /** CPU by thread from /proc, 10 ms ticks: `main`, and `helpers` (V8's collector and compiler, zlib on libuv's pool). */
  threads: Record<string, number>;
  /** RSS once idle again. */
  rssBytes: number;
}

interface PollResult extends Window {
  /** Mean duration of one API request during the poll, as the exporter's client measured it. */
  meanRequestMs: Partial<Record<SourceName, number>>;
  sources: Array<{
    source: SourceName;
    result: string;
    seconds: number;
    jobs: number;
    pages: number;
    requests: number;
    error?: string;
  }>;
}

/** A node process of the benchmark's, driven over IPC: the exporter under test, or the floor. */
class IpcProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(readonly child: ChildProcess) {
    child.on("message", (message: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (message.id === undefined) return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.result);
      else waiter?.reject(new Error(message.error));
    });
  }

  /** Waits for the process's first message ({ ready, url? }). */
  async ready(what: string): Promise<{ url?: string }> {
    const [ready] = (await Promise.race([
      once(this.child, "message"),
      once(this.child, "exit").then(([code]) => {
        throw new Error(`${what} exited with ${code} before it was ready`);
      }),
    ])) as [{ url?: string }];
    return ready;
  }

  call<T>(cmd: string, arg?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolveCall, reject) => {
      this.pending.set(id, { resolve: resolveCall as (v: unknown) => void, reject });
      this.child.send({ id, cmd, arg });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    if (this.child.exitCode === null && this.child.signalCode === null) await once(this.child, "exit");
    clearTimeout(timer);
  }
}

/** The exporter under test. */
class ExporterProcess extends IpcProcess {
  url = "";

  static async start(sim: SimulatorBanner): Promise<ExporterProcess> {
    const exporter = new ExporterProcess(track(spawnBenchExporter(benchExporterConfig(sim))));
    exporter.url = (await exporter.ready("the exporter")).url ?? "";
    return exporter;
  }

  /** `settle: false` for polls under a scrape load, which never lets the process idle. */
  poll(settle = true): Promise<PollResult> {
    return this.call<PollResult>("poll", { settle });
  }
}

/** One request of the simulator's log, as the floor replays it. */
interface LoggedRequest {
  api: string;
  path: string;
  query: Record<string, string | string[]>;
  workspace?: string;
}

/** The floor: the same requests, received and parsed, nothing else (bench/floor.mjs). */
class FloorProcess extends IpcProcess {
  static async start(sim: SimulatorBanner): Promise<FloorProcess> {
    const options = {
      url: sim.url,
      projectId: sim.projectId,
      accessKey: sim.accessKey,
      secretKey: sim.secretKey,
      concurrency: CONCURRENCY,
    };
    const child = spawn(process.execPath, ["bench/floor.mjs", JSON.stringify(options)], {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const floor = new FloorProcess(track(child));
    await floor.ready("the floor");
    return floor;
  }

  /** Replays `requests` (a poll's, from the simulator's log): per source, all sources at once. */
  poll(requests: LoggedRequest[]): Promise<Window & { requests: number }> {
    const bySource: Record<string, LoggedRequest[]> = { spark: [], flink: [], dataarts: [] };
    for (const r of requests) {
      const source = r.api === "spark_details" ? "spark" : r.api;
      bySource[source]?.push(r);
    }
    return this.call("poll", bySource);
  }
}

function rssOf(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return Number(kb) * 1024;
}

// ---------------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------------

interface WrkResult {
  rps: number;
  p99Ms: number;
  requests: number;
  errors: number;
}

function parseWrkDuration(text: string): number {
  const m = /([\d.]+)(us|ms|s|m)/.exec(text);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

function wrk(
  tool: string | undefined,
  url: string,
  gzip: boolean,
  seconds = WRK_SECONDS,
  connections = CONNECTIONS,
): WrkResult | undefined {
  if (!tool) return undefined;
  const args = [
    `-t${Math.min(2, connections)}`,
    `-c${connections}`,
    `-d${seconds}s`,
    "--latency",
    "--timeout",
    "60s",
  ];
  if (gzip) args.push("-H", "Accept-Encoding: gzip");
  const out = execFileSync(tool, [...args, url], { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? "";
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    rps,
    p99Ms: parseWrkDuration(p99),
    requests,
    errors: (errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + non2xx,
  };
}

/**
 * A scraper at a fixed rate (like Prometheus, only faster), gzip, two at most in flight: the
 * latency of every answer, body included, until stopped.
 */
function fixedRateScraper(url: string, everyMs = 50) {
  const agent = new Agent({ connections: 2 });
  const latencies: number[] = [];
  let inFlight = 0;
  let failures = 0;
  const timer = setInterval(() => {
    if (inFlight >= 2) return;
    inFlight++;
    const started = performance.now();
    request(url, { dispatcher: agent, headers: { "accept-encoding": "gzip" } })
      .then(async (res) => {
        await res.body.arrayBuffer();
        if (res.statusCode !== 200) failures++;
        latencies.push(performance.now() - started);
      })
      .catch(() => failures++)
      .finally(() => inFlight--);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
      await agent.close();
      return { latencies, failures };
    },
  };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function median(values: number[]): number {
  return percentile(values, 50);
}

async function fetchBody(url: string, gzip: boolean): Promise<Buffer> {
  const res = await request(url, { headers: gzip ? { "accept-encoding": "gzip" } : {} });
  return Buffer.from(await res.body.arrayBuffer());
}

// ---------------------------------------------------------------------------------------------
// nginx, the ceiling
// ---------------------------------------------------------------------------------------------

async function startNginx(tool: string, plain: Buffer, gzipped: Buffer) {
  const prefix = join(scratch, "nginx");
  mkdirSync(join(prefix, "html"), { recursive: true });
  writeFileSync(join(prefix, "html", "metrics"), plain);
  writeFileSync(join(prefix, "html", "metrics.gz"), gzipped);
  // A port another process takes between our pick and nginx's bind makes nginx exit at once:
  // then try again with another one.
  for (let attempt = 1; ; attempt++) {
    const started = await tryNginx(tool, prefix, await freePort());
    if (started) return started;
    if (attempt === 5) throw new Error("nginx did not start");
    log("nginx could not bind its port; trying another");
  }
}

/** A port nothing listens on right now (the system's pick for port 0). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolvePort(port));
    });
  });
}

async function tryNginx(tool: string, prefix: string, port: number) {
  // One worker: the exporter is one event loop too.
  const conf = `${process.getuid?.() === 0 ? "user root;\n" : ""}worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/tmp-body;
  proxy_temp_path ${prefix}/tmp-proxy;
  fastcgi_temp_path ${prefix}/tmp-fastcgi;
  uwsgi_temp_path ${prefix}/tmp-uwsgi;
  scgi_temp_path ${prefix}/tmp-scgi;
  server {
    listen 127.0.0.1:${port};
    root ${prefix}/html;
    location = /metrics { default_type "text/plain; version=0.0.4; charset=utf-8"; gzip_static on; }
  }
}
`;
  writeFileSync(join(prefix, "nginx.conf"), conf);
  const child = track(
    spawn(tool, ["-p", prefix, "-c", join(prefix, "nginx.conf")], { stdio: ["ignore", "ignore", "inherit"] }),
  );
  const url = `http://127.0.0.1:${port}/metrics`;
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  for (let i = 0; i < 100 && !exited; i++) {
    try {
      const res = await request(url, { method: "HEAD" });
      await res.body.dump();
      if (res.statusCode === 200) return { child, url };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (!exited) child.kill("SIGKILL");
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

type SourceName = "spark" | "flink" | "dataarts";
const SOURCES: SourceName[] = ["spark", "flink", "dataarts"];

interface ApiCost {
  source: SourceName;
  pagesNeeded: number;
  detailsNeeded: number;
  requests: number;
  boundMs: number;
  /** The same rounds at the round trip the client measured (simulator and client work included). */
  measuredBoundMs: number;
  wallMs: number;
}

/** Rounds of round trips a source needs at least: first pages, the rest, details calls. */
function lowerBoundMs(listings: number[], details: number, roundTripMs = LATENCY_MS): number {
  const first = Math.ceil(listings.length / CONCURRENCY);
  const rest = Math.ceil(listings.reduce((sum, pages) => sum + pages - 1, 0) / CONCURRENCY);
  return (first + rest + Math.ceil(details / CONCURRENCY)) * roundTripMs;
}

interface Measured {
  poll: PollResult;
  costs: ApiCost[];
  detailsRepeated: number;
  detailsBacklog: number;
  /** The poll's requests as the simulator logged them (when asked for: the floor replays them). */
  requests?: LoggedRequest[];
}

async function measuredPoll(
  sim: SimulatorBanner,
  exporter: ExporterProcess,
  churn = CHURN,
  { capture = false, settle = true } = {},
): Promise<Measured> {
  if (churn > 0)
    await getJson(`${sim.control}/__bench/churn`, {
      method: "POST",
      body: JSON.stringify({ fraction: churn }),
    });
  const expected = await getJson<Expected>(
    `${sim.control}/__bench/expected?pageSize=${PAGE_SIZE}&detailsPerPoll=${DETAILS_PER_POLL}`,
  );
  const before = await getJson<RequestCounts>(`${sim.url}/__simulator/requests`);
  const seq = capture ? (await getJson<{ seq: number }>(`${sim.control}/__bench/seq`)).seq : 0;
  const poll = await exporter.poll(settle);
  const after = await getJson<RequestCounts>(`${sim.url}/__simulator/requests`);
  const failed = poll.sources.filter((s) => s.result !== "success");
  if (failed.length > 0) throw new Error(`a poll failed: ${JSON.stringify(failed)}`);
  const diff = (api: string) => (after.byApi[api] ?? 0) - (before.byApi[api] ?? 0);
  const costs = SOURCES.map((source): ApiCost => {
    const e = expected[source];
    const requests = source === "spark" ? diff("spark") + diff("spark_details") : diff(source);
    const status = poll.sources.find((s) => s.source === source);
    return {
      source,
      pagesNeeded: e.listings.reduce((a, b) => a + b, 0),
      detailsNeeded: e.details,
      requests,
      boundMs: lowerBoundMs(e.listings, e.details),
      measuredBoundMs: lowerBoundMs(e.listings, e.details, poll.meanRequestMs[source] ?? Number.NaN),
      wallMs: (status?.seconds ?? Number.NaN) * 1000,
    };
  });
  const requests = capture
    ? await getJson<LoggedRequest[]>(`${sim.control}/__bench/requests?after=${seq}`)
    : undefined;
  const check = await getJson<Expected>(
    `${sim.control}/__bench/expected?pageSize=${PAGE_SIZE}&detailsPerPoll=0`,
  );
  const measured: Measured = {
    poll,
    costs,
    detailsRepeated: check.detailsRepeated,
    detailsBacklog: check.spark.detailsBacklog ?? 0,
  };
  if (requests) measured.requests = requests;
  return measured;
}

/**
 * Polls until the exporter runs as it will from then on: at least `minPolls`, and on until the
 * Spark details backlog is worked off where it can be within `maxPolls` (see
 * MAX_WARM_UP_POLLS). Returns the polls made.
 */
async function warmUp(
  sim: SimulatorBanner,
  exporter: ExporterProcess,
  minPolls: number,
  maxPolls: number,
): Promise<number> {
  let first: number | undefined;
  for (let polls = 1; ; polls++) {
    // Unmeasured, and before the idle rate is known: no waiting for idle.
    const backlog = (await measuredPoll(sim, exporter, CHURN, { settle: false })).detailsBacklog;
    first ??= backlog;
    if (polls < minPolls) continue;
    if (backlog === 0 || polls >= maxPolls) return polls;
    // Worked off at the rate seen so far, would it be within the warm-up? Where new jobs come
    // as fast as details calls go (10,000 jobs per source and up), it never shrinks much.
    const perPoll = (first - backlog) / (polls - 1);
    if (!(perPoll > 0) || backlog / perPoll > maxPolls - polls) return polls;
  }
}

/** Per-poll figures of a set of polls: the median poll's, and the spread around it. */
interface PollSummary {
  polls: number;
  cpuMs: number;
  /** CPU of the 25th and 75th percentile polls: how much the median can be trusted. */
  cpuQuartilesMs: [number, number];
  rawCpuMs: number;
  idleMs: number;
  mainMs: number;
  helpersMs: number;
  wallMs: number;
  settleMs: number;
  /** Polls whose process was not idle again within the settle limit. */
  unsettled: number;
  rssBytes: number;
  requests?: number;
}

function summarise(
  windows: Array<Window & { sources?: PollResult["sources"]; requests?: number }>,
): PollSummary {
  const cpu = windows.map((w) => w.cpuMs);
  const sorted = [...windows].sort((a, b) => a.cpuMs - b.cpuMs);
  const mid = sorted[Math.floor(sorted.length / 2)] as (typeof windows)[number];
  const summary: PollSummary = {
    polls: windows.length,
    cpuMs: median(cpu),
    cpuQuartilesMs: [percentile(cpu, 25), percentile(cpu, 75)],
    rawCpuMs: median(windows.map((w) => w.rawCpuMs)),
    idleMs: median(windows.map((w) => w.idleMs)),
    mainMs: mid.threads.main ?? 0,
    helpersMs: mid.threads.helpers ?? 0,
    wallMs: median(windows.map((w) => w.wallMs)),
    settleMs: median(windows.map((w) => w.settleMs)),
    unsettled: windows.filter((w) => !w.settled).length,
    rssBytes: median(windows.map((w) => w.rssBytes)),
  };
  const requests = mid.sources ? mid.sources.reduce((sum, source) => sum + source.requests, 0) : mid.requests;
  if (requests !== undefined) summary.requests = requests;
  return summary;
}

/** Both processes' idle rates, over the same quiet window (no poll, no scrape). */
async function measureIdle(...processes: IpcProcess[]): Promise<number[]> {
  const rates = await Promise.all(processes.map((p) => p.call<{ idleRate: number }>("idle", IDLE_RATE_MS)));
  return rates.map((r) => r.idleRate);
}

/** Data lines of an exposition body. */
function countSeries(body: Buffer): number {
  let series = 0;
  let start = 0;
  for (let nl = body.indexOf(10, start); nl >= 0; nl = body.indexOf(10, start)) {
    if (nl > start && body[start] !== 35) series++; // not empty, not '#'
    start = nl + 1;
  }
  return series;
}

interface Headline {
  world: World;
  jobs: number;
  series: number;
  bodyBytes: number;
  gzipBytes: number;
  bodyFile: string;
  exporterPlain?: WrkResult;
  exporterGzip?: WrkResult;
  nginxPlain?: WrkResult;
  nginxGzip?: WrkResult;
  idleP99Ms: number;
  pollP99Ms: number;
  /** Scrapes timed idle and during the latency polls. */
  latencySamples: [number, number];
  scrapeFailures: number;
  delayP99Ms: number;
  delayMaxMs: number;
  idleRates: { exporter: number; floor: number };
  unchanged: PollSummary;
  floor: PollSummary;
  /** Exporter / floor of each pair of polls, for the spread of 2a. */
  floorRatios: number[];
  churned: PollSummary;
  /** Per source, the median over the churn polls of wall time / bound (nominal and measured RTT). */
  wall: Array<{ source: SourceName; wallMs: number; boundMs: number; ratio: number; measuredRatio: number }>;
  costs: ApiCost[];
  detailsRepeated: number;
  rssAfterLoadBytes: number;
  flat: { polls: number; window: number; fromBytes: number; toBytes: number };
}

async function headline(world: World, tools: { nginx?: string; wrk?: string }): Promise<Headline> {
  const { child: simChild, banner: sim } = await startSim(world, JOBS);
  let exporter: ExporterProcess | undefined;
  let floor: FloorProcess | undefined;
  try {
    exporter = await ExporterProcess.start(sim);
    floor = await FloorProcess.start(sim);
    const metrics = `${exporter.url}/metrics`;
    log(`${world}: warm-up polls`);
    const warm = await warmUp(sim, exporter, WARM_UP_POLLS, MAX_WARM_UP_POLLS);
    warmUpPolls.push(`${warm} at ${JOBS} (${world})`);
    const [exporterIdle = 0, floorIdle = 0] = await measureIdle(exporter, floor);

    log(`${world}: ${UNCHANGED_POLLS} polls of unchanged jobs, each followed by the floor`);
    const unchanged: PollResult[] = [];
    const floorPolls: Array<Window & { requests: number }> = [];
    for (let i = 0; i < UNCHANGED_POLLS; i++) {
      const measured = await measuredPoll(sim, exporter, 0, { capture: true });
      // The floor's first replays warm it up as the exporter's warm-up polls did the exporter.
      if (i === 0) for (let k = 0; k < FLOOR_WARM_UP; k++) await floor.poll(measured.requests ?? []);
      unchanged.push(measured.poll);
      floorPolls.push(await floor.poll(measured.requests ?? []));
      await getJson(`${sim.control}/__bench/forget`, { method: "POST" });
    }
    await floor.stop();
    floor = undefined;

    log(`${world}: scrape latency, idle, then during ${LATENCY_POLLS} poll(s)`);
    await exporter.call("resetDelay");
    const idle = fixedRateScraper(metrics);
    await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
    const idleScrapes = await idle.stop();
    await exporter.call("resetDelay");
    const during = fixedRateScraper(metrics);
    for (let i = 0; i < LATENCY_POLLS; i++) await measuredPoll(sim, exporter, CHURN, { settle: false });
    const duringScrapes = await during.stop();
    const delay = await exporter.call<{ p99: number; max: number }>("delay");

    log(`${world}: ${CHURN_POLLS} polls with ${CHURN * 100} % churn each (no scrapes)`);
    const churned: Measured[] = [];
    for (let i = 0; i < CHURN_POLLS; i++) churned.push(await measuredPoll(sim, exporter));
    const last = churned[churned.length - 1] as Measured;
    const window = Math.max(1, Math.floor(CHURN_POLLS / 3));
    const rss = churned.map((m) => m.poll.rssBytes);

    const plain = await fetchBody(metrics, false);
    const gzipped = await fetchBody(metrics, true);
    const bodyFile = join(scratch, `metrics-${world}.txt`);
    writeFileSync(bodyFile, plain);

    log(`${world}: throughput, exporter`);
    const exporterPlain = wrk(tools.wrk, metrics, false);
    const exporterGzip = wrk(tools.wrk, metrics, true);
    const rssAfterLoadBytes = rssOf(exporter.pid);
    await exporter.stop();
    exporter = undefined;
    await stopChild(simChild);

    let nginxPlain: WrkResult | undefined;
    let nginxGzip: WrkResult | undefined;
    if (tools.nginx) {
      log(`${world}: throughput, nginx (the ceiling)`);
      const nginx = await startNginx(tools.nginx, plain, gzipped);
      try {
        nginxPlain = wrk(tools.wrk, nginx.url, false);
        nginxGzip = wrk(tools.wrk, nginx.url, true);
      } finally {
        await stopChild(nginx.child);
      }
    }

    return {
      world,
      jobs: JOBS * 3,
      series: countSeries(plain),
      bodyBytes: plain.length,
      gzipBytes: gzipped.length,
      bodyFile,
      exporterPlain,
      exporterGzip,
      nginxPlain,
      nginxGzip,
      idleP99Ms: percentile(idleScrapes.latencies, 99),
      pollP99Ms: percentile(duringScrapes.latencies, 99),
      latencySamples: [idleScrapes.latencies.length, duringScrapes.latencies.length],
      scrapeFailures: idleScrapes.failures + duringScrapes.failures,
      delayP99Ms: delay.p99,
      delayMaxMs: delay.max,
      idleRates: { exporter: exporterIdle, floor: floorIdle },
      unchanged: summarise(unchanged),
      floor: summarise(floorPolls),
      floorRatios: unchanged.map((p, i) => p.cpuMs / (floorPolls[i]?.cpuMs ?? Number.NaN)),
      churned: summarise(churned.map((m) => m.poll)),
      wall: SOURCES.map((source) => {
        const of = churned.map((m) => m.costs.find((c) => c.source === source) as ApiCost);
        return {
          source,
          wallMs: median(of.map((c) => c.wallMs)),
          boundMs: median(of.map((c) => c.boundMs)),
          ratio: median(of.map((c) => c.wallMs / c.boundMs)),
          measuredRatio: median(of.map((c) => c.wallMs / c.measuredBoundMs)),
        };
      }),
      costs: last.costs,
      detailsRepeated: last.detailsRepeated,
      rssAfterLoadBytes,
      flat: {
        polls: CHURN_POLLS,
        window,
        fromBytes: median(rss.slice(0, window)),
        toBytes: median(rss.slice(-window)),
      },
    } satisfies Headline;
  } finally {
    await floor?.stop();
    await exporter?.stop();
    await stopChild(simChild);
  }
}

interface ScalePoint extends PollSummary {
  world: World;
  jobsPerSource: number;
  /** Only where the series count is needed (5b at 10,000 jobs per source). */
  series?: number;
}

async function scalePoint(world: World, jobsPerSource: number, countTheSeries = false): Promise<ScalePoint> {
  const { child: simChild, banner: sim } = await startSim(world, jobsPerSource);
  let exporter: ExporterProcess | undefined;
  try {
    exporter = await ExporterProcess.start(sim);
    const warm = await warmUp(sim, exporter, WARM_UP_POLLS, MAX_WARM_UP_POLLS);
    warmUpPolls.push(`${warm} at ${jobsPerSource} (${world})`);
    await measureIdle(exporter);
    const polls: PollResult[] = [];
    for (let i = 0; i < SCALE_POLLS(jobsPerSource); i++) polls.push((await measuredPoll(sim, exporter)).poll);
    const point: ScalePoint = { world, jobsPerSource, ...summarise(polls) };
    if (countTheSeries) point.series = countSeries(await fetchBody(`${exporter.url}/metrics`, false));
    return point;
  } finally {
    await exporter?.stop();
    await stopChild(simChild);
  }
}

interface MemorySample {
  poll: number;
  rssBytes: number;
  heapUsedAfterGcBytes: number;
  arrayBuffersBytes: number;
}

interface Soaked {
  world: World;
  polls: number;
  /** Median RSS of the first window after the first polls, and of the last window. */
  fromBytes: number;
  toBytes: number;
  /** Which polls each window spans, for the table. */
  fromPolls: [number, number];
  toPolls: [number, number];
  /** RSS after poll 10 and after the last poll alone, as single samples. */
  singleFromBytes: number;
  singleToBytes: number;
  maxBytes: number;
  /** Every 50 polls: RSS, then the heap after a full collection and the piece-block pool. */
  samples: MemorySample[];
}

/**
 * RSS moves by tens of MiB from one poll to the next (young generation, freed pages not yet
 * returned): one reading at each end decided the sign of the growth. The goal's figure is
 * the median of SOAK_WINDOW readings, one after each poll once it settled, at each end.
 */
const SOAK_WINDOW = 20;
const SOAK_FROM_POLL = 10;

async function soak(world: World, polls: number): Promise<Soaked> {
  const { child: simChild, banner: sim } = await startSim(world, JOBS);
  let exporter: ExporterProcess | undefined;
  try {
    exporter = await ExporterProcess.start(sim);
    // Every poll waits until the process is idle again: that needs its idle rate.
    await measureIdle(exporter);
    const rssAfterPoll: number[] = [];
    const samples: MemorySample[] = [];
    for (let i = 1; i <= polls; i++) {
      const rss = (await measuredPoll(sim, exporter)).poll.rssBytes;
      rssAfterPoll[i] = rss;
      if (i % 50 === 0) {
        // After the RSS reading: the forced collection must not shape the figure it explains.
        const memory = await exporter.call<Omit<MemorySample, "poll">>("memory");
        samples.push({ poll: i, ...memory, rssBytes: rss });
        log(
          `soak (${world}): poll ${i}/${polls}, RSS ${fmt(rss / MiB, 0)} MiB, heap after GC ${fmt(memory.heapUsedAfterGcBytes / MiB, 0)} MiB, ` +
            `array buffers ${fmt(memory.arrayBuffersBytes / MiB, 0)} MiB`,
        );
      }
    }
    const window = Math.min(SOAK_WINDOW, Math.max(1, Math.floor((polls - SOAK_FROM_POLL) / 2)));
    const fromPolls: [number, number] = [SOAK_FROM_POLL, SOAK_FROM_POLL + window - 1];
    const toPolls: [number, number] = [polls - window + 1, polls];
    const span = ([a, b]: [number, number]) => rssAfterPoll.slice(a, b + 1);
    return {
      world,
      polls,
      fromBytes: median(span(fromPolls)),
      toBytes: median(span(toPolls)),
      fromPolls,
      toPolls,
      singleFromBytes: rssAfterPoll[SOAK_FROM_POLL] ?? Number.NaN,
      singleToBytes: rssAfterPoll[polls] ?? Number.NaN,
      maxBytes: Math.max(...span([SOAK_FROM_POLL, polls])),
      samples,
    };
  } finally {
    await exporter?.stop();
    await stopChild(simChild);
  }
}

interface PeerResult {
  world: World;
  plain?: WrkResult;
  gzip?: WrkResult;
  rssBytes?: number;
}

/**
 * The prom-client peer serving the same body, one connection (its best case: its one thread
 * renders one scrape at a time anyway, and 16 concurrent renders of 10,000 jobs per source
 * finished none within a run). 10 s a kind: one plain render of 10,000 jobs per source took
 * more than 5 s. Information only.
 */
async function peer(h: Headline, tools: { wrk?: string }): Promise<PeerResult> {
  log(`throughput: the prom-client peer (${h.world})`);
  const started = await spawnWithBanner<{ url: string }>(process.execPath, ["bench/peer.mjs", h.bodyFile]);
  try {
    const seconds = QUICK ? 3 : 10;
    const url = `${started.banner.url}/metrics`;
    const plain = wrk(tools.wrk, url, false, seconds, 1);
    const gzip = wrk(tools.wrk, url, true, seconds, 1);
    return { world: h.world, plain, gzip, rssBytes: rssOf(started.child.pid) };
  } finally {
    await stopChild(started.child);
  }
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

interface Row {
  goal: string;
  measured: string;
  target: string;
  /** undefined: not measured in this run, or information only (`info`). */
  pass: boolean | undefined;
  info?: boolean;
  /** How far a missed goal is from its target, e.g. "1.3× over". */
  miss?: string;
  /** Why a measured figure has no verdict, e.g. "goal at 10,000". */
  why?: string;
}

const MiB = 2 ** 20;
const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || !Number.isFinite(n) ? "n/a" : n.toFixed(digits);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !(b > 0) ? undefined : a / b;

/** "pass", or "FAIL (1.3× over)" with the distance to the target. */
function verdict(row: Row): string {
  if (row.info) return "info";
  if (row.pass === undefined) return row.why ? `n/a (${row.why})` : "n/a";
  if (row.pass) return "pass";
  return row.miss ? `FAIL (${row.miss})` : "FAIL";
}

interface WorldFigures {
  h: Headline;
  scale: ScalePoint[];
  /** RSS at 1,000 jobs per source, once settled (5a). */
  small?: { rssBytes: number; from: string };
  /** RSS per series at 10,000 jobs per source (5b), or at the headline size when not run. */
  perSeries: { bytes: number; jobsPerSource: number; series: number; rssBytes: number };
  soaked?: Soaked;
}

function buildRows(worlds: WorldFigures[], peers: PeerResult[]): Row[] {
  const rows: Row[] = [];
  const atLeast = (goal: string, value: number | undefined, target: number, unit = "×", detail = "") =>
    rows.push({
      goal,
      measured: value === undefined ? "n/a" : `${fmt(value, value < 10 ? 2 : 0)}${unit}${detail}`,
      target: `≥ ${target}${unit}`,
      pass: value === undefined ? undefined : value >= target,
      miss: value === undefined || value >= target ? undefined : `${fmt(target / value, 2)}× short`,
    });
  const atMost = (
    goal: string,
    value: number | undefined,
    target: number,
    unit: string,
    detail = "",
    digits = 2,
  ) =>
    rows.push({
      goal,
      measured:
        value === undefined || !Number.isFinite(value) ? "n/a" : `${fmt(value, digits)}${unit}${detail}`,
      target: `≤ ${target}${unit}`,
      pass: value === undefined || !Number.isFinite(value) ? undefined : value <= target,
      miss:
        value === undefined || !Number.isFinite(value) || value <= target
          ? undefined
          : target > 0
            ? `${fmt(value / target, 2)}× the target`
            : undefined,
    });
  const rps = (r?: WrkResult) => (r ? `${fmt(r.rps, r.rps < 10 ? 2 : 0)} req/s` : "n/a");

  for (const { h, scale, small, perSeries, soaked } of worlds) {
    const w = `(${h.world})`;
    const thousands = h.jobs / 1000;
    atMost(
      `2a CPU per poll, unchanged jobs / floor ${w}`,
      ratio(h.unchanged.cpuMs, h.floor.cpuMs),
      2,
      "×",
      ` (${fmt(h.unchanged.cpuMs, 0)} ms vs floor ${fmt(h.floor.cpuMs, 0)} ms per poll of ${h.jobs} jobs, whole process, idle subtracted; pairs ${fmt(Math.min(...h.floorRatios), 2)}-${fmt(Math.max(...h.floorRatios), 2)}×)`,
    );
    atMost(
      `2b CPU per poll per 1,000 jobs, ${CHURN * 100} % churn ${w}`,
      h.churned.cpuMs / thousands,
      15,
      " ms",
      ` (${fmt(h.churned.cpuMs, 0)} ms for ${h.jobs} jobs; polls ${h.churned.cpuQuartilesMs.map((ms) => fmt(ms / thousands, 1)).join("-")} ms middle half)`,
    );
    if (scale.length > 1) {
      const headlinePer = h.churned.cpuMs / thousands;
      const per = scale.map((p) => p.cpuMs / ((p.jobsPerSource * 3) / 1000));
      const spread = Math.max(...per.map((v) => Math.abs(v / headlinePer - 1)));
      rows.push({
        goal: `2c CPU per 1,000 jobs, 1k..50k per source vs headline ${w}`,
        measured: `±${fmt(spread * 100, 0)} % (${per.map((v, i) => `${scale[i]?.jobsPerSource}: ${fmt(v, 1)}`).join(", ")} ms/1k)`,
        target: "within ±25 %",
        pass: spread <= 0.25,
        miss: spread <= 0.25 ? undefined : `${fmt(spread * 100 - 25, 0)} points over`,
      });
    } else {
      rows.push({
        goal: `2c CPU per 1,000 jobs, 1k..50k per source ${w}`,
        measured: "not run (--quick / --no-scaling)",
        target: "within ±25 %",
        pass: undefined,
      });
    }
    const worst = h.wall.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    atMost(
      `3 poll wall time / round-trip bound, all sources at once ${w}`,
      worst.ratio,
      1.25,
      "×",
      ` (worst ${worst.source}; ${h.wall.map((s) => `${s.source} ${fmt(s.wallMs, 0)} vs ${fmt(s.boundMs, 0)} ms, ${fmt(s.measuredRatio, 2)}× at the RTT measured`).join("; ")})`,
    );
    atLeast(
      `4a scrape throughput plain vs nginx ${w}`,
      ratio(h.exporterPlain?.rps, h.nginxPlain?.rps),
      0.8,
      "×",
      ` (${rps(h.exporterPlain)} vs ${rps(h.nginxPlain)})`,
    );
    atLeast(
      `4b scrape throughput gzip vs nginx ${w}`,
      ratio(h.exporterGzip?.rps, h.nginxGzip?.rps),
      0.8,
      "×",
      ` (${rps(h.exporterGzip)} vs ${rps(h.nginxGzip)})`,
    );
    atMost(
      `4c scrape p99 during a poll / idle p99 ${w}`,
      ratio(h.pollP99Ms, h.idleP99Ms),
      2,
      "×",
      ` (${fmt(h.pollP99Ms)} ms vs ${fmt(h.idleP99Ms)} ms)`,
    );
    if (small) {
      atMost(
        `5a RSS at ${SMALL_JOBS} jobs per source ${w}`,
        small.rssBytes / MiB,
        100,
        " MiB",
        ` (once each poll settled, median; ${small.from})`,
        0,
      );
    } else {
      rows.push({
        goal: `5a RSS at ${SMALL_JOBS} jobs per source ${w}`,
        measured: "not run",
        target: "≤ 100 MiB",
        pass: undefined,
      });
    }
    const seriesRow: Row = {
      goal: `5b RSS per series at ${SERIES_JOBS} jobs per source ${w}`,
      measured: `${fmt(perSeries.bytes, 0)} B (${fmt(perSeries.rssBytes / MiB, 0)} MiB / ${perSeries.series} series${perSeries.jobsPerSource === SERIES_JOBS ? "" : ` at ${perSeries.jobsPerSource} jobs per source`})`,
      target: "≤ 900 B",
      pass: perSeries.jobsPerSource === SERIES_JOBS ? perSeries.bytes <= 900 : undefined,
    };
    if (perSeries.jobsPerSource !== SERIES_JOBS) seriesRow.why = `goal at ${SERIES_JOBS}`;
    else if (perSeries.bytes > 900) seriesRow.miss = `${fmt(perSeries.bytes / 900, 2)}× the target`;
    rows.push(seriesRow);
    if (soaked) {
      atMost(
        `5c RSS growth over ${soaked.polls} polls, ${CHURN * 100} % churn each ${w}`,
        ((soaked.toBytes - soaked.fromBytes) / soaked.fromBytes) * 100,
        5,
        " %",
        ` (median RSS of polls ${soaked.fromPolls.join("-")} → ${soaked.toPolls.join("-")}: ${fmt(soaked.fromBytes / MiB, 0)} → ${fmt(soaked.toBytes / MiB, 0)} MiB; single readings at poll ${SOAK_FROM_POLL} and ${soaked.polls}: ${fmt(soaked.singleFromBytes / MiB, 0)} → ${fmt(soaked.singleToBytes / MiB, 0)} MiB, max ${fmt(soaked.maxBytes / MiB, 0)})`,
      );
    } else {
      atMost(
        `5c RSS growth over the ${h.flat.polls}-poll flat run (not 500: --soak 500), ${CHURN * 100} % churn each ${w}`,
        ((h.flat.toBytes - h.flat.fromBytes) / h.flat.fromBytes) * 100,
        5,
        " %",
        ` (median RSS of the first ${h.flat.window} → last ${h.flat.window} polls: ${fmt(h.flat.fromBytes / MiB, 0)} → ${fmt(h.flat.toBytes / MiB, 0)} MiB)`,
      );
    }
    rows.push({
      goal: `API requests per poll = pages + new-job details ${w}`,
      measured: h.costs
        .map((c) => `${c.source} ${c.requests} (${c.pagesNeeded} + ${c.detailsNeeded})`)
        .join(", "),
      target: "= pages + new-job details, no details call repeated",
      pass: h.costs.every((c) => c.requests === c.pagesNeeded + c.detailsNeeded) && h.detailsRepeated === 0,
    });
    rows.push({
      goal: `event-loop delay p99 during a poll ${w}`,
      measured: `${fmt(h.delayP99Ms, 2)} ms (max ${fmt(h.delayMaxMs)} ms)`,
      target: "-",
      pass: undefined,
      info: true,
    });
  }
  for (const p of peers) {
    const h = worlds.find((w) => w.h.world === p.world)?.h;
    if (!h) continue;
    for (const [kind, mine, theirs] of [
      ["plain", h.exporterPlain, p.plain],
      ["gzip", h.exporterGzip, p.gzip],
    ] as const) {
      const r = ratio(mine?.rps, theirs?.rps);
      rows.push({
        goal: `scrape throughput ${kind} vs prom-client peer (${p.world})`,
        measured: `${r === undefined ? "n/a" : `${fmt(r, 0)}×`} (peer ${rps(theirs)}, one connection)`,
        target: "-",
        pass: undefined,
        info: true,
      });
    }
    rows.push({
      goal: `RSS vs prom-client peer (${p.world})`,
      measured: `${fmt(ratio(h.rssAfterLoadBytes, p.rssBytes), 2)}× (${fmt(h.rssAfterLoadBytes / MiB, 0)} MiB vs ${fmt((p.rssBytes ?? Number.NaN) / MiB, 0)} MiB, after the throughput runs)`,
      target: "-",
      pass: undefined,
      info: true,
    });
  }
  return rows;
}

function renderTable(rows: Row[]): string {
  const header = ["goal", "measured", "target", "result"];
  const body = rows.map((r) => [r.goal, r.measured, r.target, verdict(r)]);
  const lines = [header, header.map(() => "---"), ...body].map((cells) => `| ${cells.join(" | ")} |`);
  return lines.join("\n");
}

function machine(): string {
  const model = cpus()[0]?.model ?? "unknown CPU";
  return `${cpus().length} × ${model}, Node ${process.version}, ${process.platform}`;
}

/** The revision of the exporter that ran, as its build_info reports it (also with --no-build). */
async function builtRevision(): Promise<string> {
  const version = (await import(pathToFileURL(join(ROOT, "dist", "version.js")).href)) as {
    REVISION: string;
  };
  return version.REVISION;
}

/** Goal 1: the per-poll figures, the exporter's beside the floor's. */
function pollTable(worlds: WorldFigures[]): string[] {
  const line = (world: World, jobsPerSource: number, what: string, s: PollSummary) => {
    const thousands = (jobsPerSource * 3) / 1000;
    return `| ${world} | ${jobsPerSource} | ${what} | ${fmt(s.cpuMs, 0)} ms | ${fmt(s.cpuMs / thousands, 1)} ms (${s.cpuQuartilesMs.map((ms) => fmt(ms / thousands, 1)).join("-")}) | ${fmt(s.rawCpuMs, 0)} − ${fmt(s.idleMs, 1)} ms | ${s.mainMs} / ${s.helpersMs} ms | ${fmt(s.wallMs, 0)} ms | ${fmt(s.settleMs, 0)} ms${s.unsettled > 0 ? ` (${s.unsettled} not idle within 15 s)` : ""} | ${s.requests ?? "n/a"} | ${fmt(s.rssBytes / MiB, 0)} MiB |`;
  };
  return [
    "Per poll (median of the polls; whole process, every thread, from just before the poll starts until the process is idle again, its idle rate × that span subtracted):",
    "",
    "| world | jobs per source | what | CPU per poll | per 1,000 jobs (middle half) | raw CPU − idle | main / helper threads (10 ms ticks) | wall until published | then until idle | API requests | RSS once idle |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...worlds.flatMap(({ h, scale }) => [
      line(h.world, JOBS, `exporter, unchanged jobs (${h.unchanged.polls} polls)`, h.unchanged),
      line(h.world, JOBS, `floor, the same requests (${h.floor.polls} polls)`, h.floor),
      line(h.world, JOBS, `exporter, ${CHURN * 100} % churn (${h.churned.polls} polls)`, h.churned),
      ...scale
        .filter((p) => p.jobsPerSource !== JOBS)
        .map((p) => line(h.world, p.jobsPerSource, `exporter, ${CHURN * 100} % churn (${p.polls} polls)`, p)),
    ]),
    "",
  ];
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const tools = ensureTools();
  if (!tools.wrk) log("wrk is not available: throughput figures will be n/a");
  if (!tools.nginx) log("nginx is not available: the ceiling will be n/a");
  build();

  const worlds: WorldFigures[] = [];
  for (const world of WORLDS) {
    const h = await headline(world, tools);
    const scale: ScalePoint[] = [];
    for (const n of SCALING) {
      if (n === JOBS) {
        scale.push({ world, jobsPerSource: n, ...h.churned, series: h.series });
        continue;
      }
      log(`${world}: scaling, ${n} jobs per source`);
      scale.push(await scalePoint(world, n, n === SERIES_JOBS));
    }
    // 5a: RSS at 1,000 jobs per source, from the run of that size or a small run of its own.
    let smallPoint = scale.find((p) => p.jobsPerSource === SMALL_JOBS);
    if (!smallPoint) {
      log(`${world}: ${SMALL_JOBS} jobs per source for the memory goal`);
      smallPoint = await scalePoint(world, SMALL_JOBS);
    }
    const small = {
      rssBytes: smallPoint.rssBytes,
      from: smallPoint.jobsPerSource === JOBS ? "the headline run" : `a run of ${smallPoint.polls} polls`,
    };
    const seriesPoint = scale.find((p) => p.jobsPerSource === SERIES_JOBS && p.series !== undefined);
    const perSeries = seriesPoint
      ? {
          jobsPerSource: SERIES_JOBS,
          series: seriesPoint.series as number,
          rssBytes: seriesPoint.rssBytes,
          bytes: seriesPoint.rssBytes / (seriesPoint.series as number),
        }
      : {
          jobsPerSource: JOBS,
          series: h.series,
          rssBytes: h.churned.rssBytes,
          bytes: h.churned.rssBytes / h.series,
        };
    const figures: WorldFigures = { h, scale, small, perSeries };
    if (SOAK_POLLS !== undefined) figures.soaked = await soak(world, SOAK_POLLS);
    worlds.push(figures);
  }
  const first = worlds.find((w) => w.h.world === "simulator") ?? worlds[0];
  const peers = first ? [await peer(first.h, tools)] : [];

  const rows = buildRows(worlds, peers);
  const table = renderTable(rows);
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  const details = [
    ...worlds.map(
      ({ h }) =>
        `World ${h.world}: ${JOBS} jobs per source (${h.jobs} jobs, ${h.series} series, body ${fmt(h.bodyBytes / MiB)} MiB, gzip ${fmt(h.gzipBytes / MiB, 2)} MiB); idle rate ${fmt(h.idleRates.exporter * 100, 2)} % of a core (exporter), ${fmt(h.idleRates.floor * 100, 2)} % (floor).`,
    ),
    `${LATENCY_MS} ms per API request, page size ${PAGE_SIZE}, poll.concurrency ${CONCURRENCY}, ${CHURN * 100} % churn before each poll except the unchanged ones; wrk ${CONNECTIONS} connections × ${WRK_SECONDS} s.`,
    `Machine: ${machine()}. Exporter: dist/ built from ${await builtRevision()}. Run took ${Math.round((Date.now() - started) / 1000)} s.`,
    "",
    ...pollTable(worlds),
    ...worlds.flatMap(({ soaked }) =>
      soaked
        ? [
            `Memory over the ${soaked.polls}-poll run (${soaked.world}), every 50 polls (RSS once the poll settled; then, after a forced full collection, the V8 heap and array buffers, which hold the pooled text blocks):`,
            "",
            "| poll | RSS | heap after GC | array buffers |",
            "| --- | --- | --- | --- |",
            ...soaked.samples.map(
              (m) =>
                `| ${m.poll} | ${fmt(m.rssBytes / MiB, 0)} MiB | ${fmt(m.heapUsedAfterGcBytes / MiB, 0)} MiB | ${fmt(m.arrayBuffersBytes / MiB, 0)} MiB |`,
            ),
            "",
          ]
        : [],
    ),
    `Warm-up polls (at least ${WARM_UP_POLLS}, on until the Spark details backlog of the first polls was worked off where that fits in ${MAX_WARM_UP_POLLS}): ${warmUpPolls.join(", ")}.`,
    ...worlds.map(
      ({ h }) =>
        `${h.world}: scrape latency samples at a fixed 20/s gzip, ${h.latencySamples[0]} idle over ${IDLE_WINDOW_MS / 1000} s, ${h.latencySamples[1]} during ${LATENCY_POLLS} poll${LATENCY_POLLS === 1 ? "" : "s"}; failures ${h.scrapeFailures}. wrk errors: exporter ${h.exporterPlain?.errors ?? "n/a"}/${h.exporterGzip?.errors ?? "n/a"}, nginx ${h.nginxPlain?.errors ?? "n/a"}/${h.nginxGzip?.errors ?? "n/a"}. Spark details calls repeated for a known job: ${h.detailsRepeated}.`,
    ),
  ];
  const report = `# Benchmark ${date}\n\n\`${command}\`\n\n${table}\n\n${details.join("\n")}\n`;
  process.stdout.write(`\n${table}\n\n${details.join("\n")}\n`);
  mkdirSync(opts.out, { recursive: true });
  // A second run on the same day keeps the first: <date>-2.md, <date>-3.md, ...
  const base = `${date}${QUICK ? "-quick" : ""}`;
  let file = join(opts.out, `${base}.md`);
  for (let n = 2; !QUICK && existsSync(file); n++) file = join(opts.out, `${base}-${n}.md`);
  writeFileSync(file, report);
  log(`written to ${file}`);
}

async function cleanUp(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c)));
  rmSync(scratch, { recursive: true, force: true });
}

process.on("SIGINT", () => {
  void cleanUp().then(() => process.exit(130));
});

main()
  .catch((err: unknown) => {
    process.stderr.write(
      `[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  })
  .finally(() => cleanUp());
