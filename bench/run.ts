// `npm run bench`: the exporter against the simulator, every figure of issue 4's goals measured
// in one run on one machine, printed as one table and written to bench/results/<date>.md.
//
// Processes: the simulator (bench/simulator-server.ts), the exporter under test
// (bench/exporter-process.mjs, polls driven over IPC), nginx serving a static copy of the same
// body (the ceiling), the prom-client peer (bench/peer.mjs), and wrk for the scrape load. This
// process only orchestrates, plus a slow fixed-rate scraper for latency. See docs/performance.md.
//
//   npm run bench                      headline 10,000 jobs per source, scaling 1k/10k/50k
//   npm run bench -- --quick           1,000 jobs per source, short runs, no scaling (CI)
//   npm run bench -- --soak 500        also the 500-poll memory run with 5 % churn per poll
//   options: --jobs N --latency MS --duration S --scaling 1000,10000,50000 --no-scaling
//            --no-build --out DIR

import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
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
    "flat-polls": { type: "string" },
    "no-build": { type: "boolean", default: false },
    out: { type: "string", default: join(ROOT, "bench", "results") },
  },
});

const QUICK = opts.quick === true;
const JOBS = Number(opts.jobs ?? (QUICK ? 1000 : 10000));
const LATENCY_MS = Number(opts.latency);
const WRK_SECONDS = Number(opts.duration ?? (QUICK ? 2 : 6));
const CONNECTIONS = 16;
const { concurrency: CONCURRENCY, pageSize: PAGE_SIZE, detailsPerPoll: DETAILS_PER_POLL } = BENCH_POLL;
const CHURN = 0.05;
const FLAT_POLLS = Number(opts["flat-polls"] ?? (QUICK ? 5 : 20));
/**
 * CPU per poll is the steady state of a long-running exporter: every size is measured the same
 * way, after the same polls of warm-up (V8 still compiles the hot paths in the first few), as
 * the median of this many polls.
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
// Eleven polls: at 1,000 jobs per source a full collection lands in about one poll of four and
// doubles that poll's CPU; the median of five moved by ±25 % between runs of the same code.
const CPU_POLLS = QUICK ? 3 : 11;
// A poll at the headline lasts ~2.7 s: at 20 scrapes a second one poll gave ~54 samples, so
// its "p99" was its slowest scrape (2a moved from 0.99x to 2.01x between runs of the same
// code). Four polls back to back and 10 s idle give ~200 samples a side.
const LATENCY_POLLS = QUICK ? 1 : 4;
const IDLE_WINDOW_MS = QUICK ? 1500 : 10_000;
/** Warm-up polls made, by jobs per source, for the report. */
const warmUpPolls = new Map<number, number>();
const SOAK_POLLS = opts.soak === undefined ? undefined : Number(opts.soak || 500);
// Without the scaling run the table still shows the headline's own row.
const SCALING = QUICK || opts["no-scaling"] ? [JOBS] : opts.scaling.split(",").map(Number);

const children = new Set<ChildProcess>();
const scratch = mkdtempSync(join(tmpdir(), "hcje-bench-"));

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
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

async function startSim(jobs: number) {
  log(`simulator: ${jobs} jobs per source, ${LATENCY_MS} ms per request`);
  return spawnWithBanner<SimulatorBanner>(TSX, simulatorArgs(jobs, LATENCY_MS));
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

interface PollResult {
  wallMs: number;
  cpuMs: number;
  /** CPU by thread from /proc, 10 ms ticks: `main`, and `helpers` (V8's collector and compiler, zlib on libuv's pool). */
  threads: Record<string, number>;
  /** Mean duration of one API request during the poll, as the exporter's client measured it. */
  meanRequestMs: Partial<Record<SourceName, number>>;
  sources: Array<{
    source: "spark" | "flink" | "dataarts";
    result: string;
    seconds: number;
    jobs: number;
    pages: number;
    requests: number;
    error?: string;
  }>;
}

/** The exporter under test and the IPC calls into it. */
class ExporterProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  url = "";

  constructor(readonly child: ChildProcess) {
    child.on("message", (message: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (message.id === undefined) return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.result);
      else waiter?.reject(new Error(message.error));
    });
  }

  static async start(sim: SimulatorBanner): Promise<ExporterProcess> {
    const child = track(spawnBenchExporter(benchExporterConfig(sim)));
    const exporter = new ExporterProcess(child);
    const [ready] = (await Promise.race([
      once(child, "message"),
      once(child, "exit").then(([code]) => {
        throw new Error(`the exporter exited with ${code} before its first poll ended`);
      }),
    ])) as [{ url: string }];
    exporter.url = ready.url;
    return exporter;
  }

  call<T>(cmd: string): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolveCall, reject) => {
      this.pending.set(id, { resolve: resolveCall as (v: unknown) => void, reject });
      this.child.send({ id, cmd });
    });
  }

  poll(): Promise<PollResult> {
    return this.call<PollResult>("poll");
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    if (this.child.exitCode === null) await once(this.child, "exit");
    clearTimeout(timer);
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

async function measuredPoll(
  sim: SimulatorBanner,
  exporter: ExporterProcess,
  churn = CHURN,
): Promise<{ poll: PollResult; costs: ApiCost[]; detailsRepeated: number; detailsBacklog: number }> {
  if (churn > 0)
    await getJson(`${sim.control}/__bench/churn`, {
      method: "POST",
      body: JSON.stringify({ fraction: churn }),
    });
  const expected = await getJson<Expected>(
    `${sim.control}/__bench/expected?pageSize=${PAGE_SIZE}&detailsPerPoll=${DETAILS_PER_POLL}`,
  );
  const before = await getJson<RequestCounts>(`${sim.url}/__simulator/requests`);
  const poll = await exporter.poll();
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
  const check = await getJson<Expected>(
    `${sim.control}/__bench/expected?pageSize=${PAGE_SIZE}&detailsPerPoll=0`,
  );
  return {
    poll,
    costs,
    detailsRepeated: check.detailsRepeated,
    detailsBacklog: check.spark.detailsBacklog ?? 0,
  };
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
    const backlog = (await measuredPoll(sim, exporter)).detailsBacklog;
    first ??= backlog;
    if (polls < minPolls) continue;
    if (backlog === 0 || polls >= maxPolls) return polls;
    // Worked off at the rate seen so far, would it be within the warm-up? Where new jobs come
    // as fast as details calls go (10,000 jobs per source and up), it never shrinks much.
    const perPoll = (first - backlog) / (polls - 1);
    if (!(perPoll > 0) || backlog / perPoll > maxPolls - polls) return polls;
  }
}
interface Headline {
  jobs: number;
  series: number;
  bodyBytes: number;
  gzipBytes: number;
  exporterPlain?: WrkResult;
  exporterGzip?: WrkResult;
  nginxPlain?: WrkResult;
  nginxGzip?: WrkResult;
  peerPlain?: WrkResult;
  peerGzip?: WrkResult;
  /** The peer's RSS after its last measurement, and after 16 concurrent scrapes if it failed those. */
  peerRssBytes?: number;
  peerConcurrentRssBytes?: number;
  /** The peer was measured with one connection (16 finished no scrape within the run). */
  peerSequential: boolean;
  idleP99Ms: number;
  pollP99Ms: number;
  /** Scrapes timed idle and during the latency polls. */
  latencySamples: [number, number];
  scrapeFailures: number;
  delayP99Ms: number;
  delayMaxMs: number;
  cpuPerPollMs: number;
  cpuSplit: ReturnType<typeof medianPoll>;
  costs: ApiCost[];
  detailsRepeated: number;
  rssBytes: number;
  flat: { polls: number; fromBytes: number; toBytes: number };
}

async function headline(tools: { nginx?: string; wrk?: string }): Promise<Headline> {
  const { child: simChild, banner: sim } = await startSim(JOBS);
  let exporter: ExporterProcess | undefined;
  try {
    exporter = await ExporterProcess.start(sim);
    const metrics = `${exporter.url}/metrics`;
    log("warm-up polls");
    // The latency polls below end the warm-up.
    warmUpPolls.set(JOBS, (await warmUp(sim, exporter, WARM_UP_POLLS - 1, MAX_WARM_UP_POLLS - 1)) + 1);

    log(`scrape latency: idle, then during ${LATENCY_POLLS} polls`);
    await exporter.call("resetDelay");
    const idle = fixedRateScraper(metrics);
    await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
    const idleScrapes = await idle.stop();
    await exporter.call("resetDelay");
    const during = fixedRateScraper(metrics);
    let latencyPoll = await measuredPoll(sim, exporter);
    for (let i = 1; i < LATENCY_POLLS; i++) latencyPoll = await measuredPoll(sim, exporter);
    const duringScrapes = await during.stop();
    const delay = await exporter.call<{ p99: number; max: number }>("delay");

    log("CPU per poll (no scrapes)");
    const cpuPolls: Array<{ poll: PollResult }> = [];
    let costs = latencyPoll.costs;
    let repeated = latencyPoll.detailsRepeated;
    for (let i = 0; i < CPU_POLLS; i++) {
      const measured = await measuredPoll(sim, exporter);
      cpuPolls.push(measured);
      costs = measured.costs;
      repeated = measured.detailsRepeated;
    }

    log(`memory over ${FLAT_POLLS} polls with ${CHURN * 100} % churn each`);
    const fromBytes = rssOf(exporter.child.pid);
    for (let i = 0; i < FLAT_POLLS; i++) await measuredPoll(sim, exporter);
    const toBytes = rssOf(exporter.child.pid);

    const plain = await fetchBody(metrics, false);
    const gzipped = await fetchBody(metrics, true);
    const series = plain
      .toString("utf8")
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#")).length;
    const bodyFile = join(scratch, "metrics.txt");
    writeFileSync(bodyFile, plain);

    log("throughput: exporter");
    const exporterPlain = wrk(tools.wrk, metrics, false);
    const exporterGzip = wrk(tools.wrk, metrics, true);
    const rssBytes = rssOf(exporter.child.pid);
    await exporter.stop();
    exporter = undefined;
    await stopChild(simChild);

    let nginxPlain: WrkResult | undefined;
    let nginxGzip: WrkResult | undefined;
    if (tools.nginx) {
      log("throughput: nginx (the ceiling)");
      const nginx = await startNginx(tools.nginx, plain, gzipped);
      try {
        nginxPlain = wrk(tools.wrk, nginx.url, false);
        nginxGzip = wrk(tools.wrk, nginx.url, true);
      } finally {
        await stopChild(nginx.child);
      }
    }

    log("throughput: the prom-client peer");
    const startPeer = () => spawnWithBanner<{ url: string }>(process.execPath, ["bench/peer.mjs", bodyFile]);
    let peer = await startPeer();
    let peerPlain: WrkResult | undefined;
    let peerGzip: WrkResult | undefined;
    let peerRssBytes: number | undefined;
    let peerConcurrentRssBytes: number | undefined;
    let peerSequential = false;
    try {
      const peerSeconds = Math.max(WRK_SECONDS, QUICK ? 3 : 20);
      // prom-client renders concurrent scrapes interleaved: with 16 at once and seconds each,
      // none may finish within the run. Then the peer is measured one scrape at a time (its
      // best case: one render at a time is all its one thread can do anyway), in a fresh
      // process: the abandoned renders of the 16 go on for a minute and took the CPU that
      // the one connection's scrapes needed (no gzip scrape finished).
      const measurePeer = async (gzip: boolean) => {
        const sixteen = wrk(tools.wrk, `${peer.banner.url}/metrics`, gzip, peerSeconds);
        if (!sixteen || sixteen.requests > 0) return sixteen;
        peerSequential = true;
        peerConcurrentRssBytes = Math.max(peerConcurrentRssBytes ?? 0, rssOf(peer.child.pid));
        await stopChild(peer.child);
        peer = await startPeer();
        return wrk(tools.wrk, `${peer.banner.url}/metrics`, gzip, peerSeconds, 1);
      };
      peerPlain = await measurePeer(false);
      peerGzip = await measurePeer(true);
      peerRssBytes = rssOf(peer.child.pid);
    } finally {
      await stopChild(peer.child);
    }

    return {
      jobs: JOBS * 3,
      series,
      bodyBytes: plain.length,
      gzipBytes: gzipped.length,
      exporterPlain,
      exporterGzip,
      nginxPlain,
      nginxGzip,
      peerPlain,
      peerGzip,
      peerRssBytes,
      peerConcurrentRssBytes,
      peerSequential,
      idleP99Ms: percentile(idleScrapes.latencies, 99),
      pollP99Ms: percentile(duringScrapes.latencies, 99),
      latencySamples: [idleScrapes.latencies.length, duringScrapes.latencies.length],
      scrapeFailures: idleScrapes.failures + duringScrapes.failures,
      delayP99Ms: delay.p99,
      delayMaxMs: delay.max,
      cpuPerPollMs: median(cpuOfPolls(cpuPolls)),
      cpuSplit: medianPoll(cpuPolls),
      costs,
      detailsRepeated: repeated,
      rssBytes,
      flat: { polls: FLAT_POLLS, fromBytes, toBytes },
    } satisfies Headline;
  } finally {
    await exporter?.stop();
    await stopChild(simChild);
  }
}

interface ScalePoint {
  jobsPerSource: number;
  cpuPerPollMs: number;
  rssBytes: number;
  /** Of the median poll: CPU of the main thread and of the others; API requests of the poll. */
  mainMs?: number;
  helpersMs?: number;
  requests?: number;
  /** CPU per poll of the 25th and 75th percentile polls: how much the median can be trusted. */
  cpuQuartilesMs?: [number, number];
}

const cpuOfPolls = (polls: Array<{ poll: PollResult }>) => polls.map((p) => p.poll.cpuMs);

/** The poll of median CPU among `polls`, for its thread split and request count. */
function medianPoll(polls: Array<{ poll: PollResult }>): {
  mainMs: number;
  helpersMs: number;
  requests: number;
  cpuQuartilesMs: [number, number];
} {
  const sorted = [...polls].sort((a, b) => a.poll.cpuMs - b.poll.cpuMs);
  const poll = (sorted[Math.floor(sorted.length / 2)] as { poll: PollResult }).poll;
  return {
    mainMs: poll.threads.main ?? 0,
    helpersMs: poll.threads.helpers ?? 0,
    requests: poll.sources.reduce((sum, source) => sum + source.requests, 0),
    cpuQuartilesMs: [percentile(cpuOfPolls(polls), 25), percentile(cpuOfPolls(polls), 75)],
  };
}

async function scalePoint(jobsPerSource: number): Promise<ScalePoint> {
  const { child: simChild, banner: sim } = await startSim(jobsPerSource);
  let exporter: ExporterProcess | undefined;
  try {
    exporter = await ExporterProcess.start(sim);
    warmUpPolls.set(jobsPerSource, await warmUp(sim, exporter, WARM_UP_POLLS, MAX_WARM_UP_POLLS));
    const polls: Array<{ poll: PollResult }> = [];
    for (let i = 0; i < CPU_POLLS; i++) polls.push(await measuredPoll(sim, exporter));
    return {
      jobsPerSource,
      cpuPerPollMs: median(cpuOfPolls(polls)),
      rssBytes: rssOf(exporter.child.pid),
      ...medianPoll(polls),
    };
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
 * the median of SOAK_WINDOW readings, one after each poll, at each end.
 */
const SOAK_WINDOW = 20;
const SOAK_FROM_POLL = 10;

async function soak(polls: number): Promise<Soaked> {
  const { child: simChild, banner: sim } = await startSim(JOBS);
  let exporter: ExporterProcess | undefined;
  try {
    exporter = await ExporterProcess.start(sim);
    const rssAfterPoll: number[] = [];
    const samples: MemorySample[] = [];
    for (let i = 1; i <= polls; i++) {
      await measuredPoll(sim, exporter);
      const rss = rssOf(exporter.child.pid);
      rssAfterPoll[i] = rss;
      if (i % 50 === 0) {
        // After the RSS reading: the forced collection must not shape the figure it explains.
        const memory = await exporter.call<Omit<MemorySample, "poll">>("memory");
        samples.push({ poll: i, ...memory, rssBytes: rss });
        log(
          `soak: poll ${i}/${polls}, RSS ${fmt(rss / MiB, 0)} MiB, heap after GC ${fmt(memory.heapUsedAfterGcBytes / MiB, 0)} MiB, ` +
            `array buffers ${fmt(memory.arrayBuffersBytes / MiB, 0)} MiB`,
        );
      }
    }
    const window = Math.min(SOAK_WINDOW, Math.max(1, Math.floor((polls - SOAK_FROM_POLL) / 2)));
    const fromPolls: [number, number] = [SOAK_FROM_POLL, SOAK_FROM_POLL + window - 1];
    const toPolls: [number, number] = [polls - window + 1, polls];
    const span = ([a, b]: [number, number]) => rssAfterPoll.slice(a, b + 1);
    return {
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

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

interface Row {
  goal: string;
  measured: string;
  target: string;
  pass: boolean | undefined;
  /** How far a missed goal is from its target, e.g. "1.3× over". */
  miss?: string;
}

const MiB = 2 ** 20;
const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || !Number.isFinite(n) ? "n/a" : n.toFixed(digits);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !(b > 0) ? undefined : a / b;

/** "pass", or "FAIL (1.3× over)" with the distance to the target. */
function verdict(row: Row): string {
  if (row.pass === undefined) return "n/a";
  if (row.pass) return "pass";
  return row.miss ? `FAIL (${row.miss})` : "FAIL";
}

function buildRows(h: Headline, scale: ScalePoint[], soaked?: Soaked): Row[] {
  const rows: Row[] = [];
  const atLeast = (goal: string, value: number | undefined, target: number, unit = "×", detail = "") =>
    rows.push({
      goal,
      measured: value === undefined ? "n/a" : `${fmt(value, value < 10 ? 2 : 0)}${unit}${detail}`,
      target: `≥ ${target}${unit}`,
      pass: value === undefined ? undefined : value >= target,
      miss: value === undefined || value >= target ? undefined : `${fmt(target / value, 2)}× short`,
    });
  const atMost = (goal: string, value: number | undefined, target: number, unit: string, detail = "") =>
    rows.push({
      goal,
      measured: value === undefined || !Number.isFinite(value) ? "n/a" : `${fmt(value, 2)}${unit}${detail}`,
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
  atLeast(
    "1a scrape throughput plain vs nginx",
    ratio(h.exporterPlain?.rps, h.nginxPlain?.rps),
    0.8,
    "×",
    ` (${rps(h.exporterPlain)} vs ${rps(h.nginxPlain)})`,
  );
  atLeast(
    "1b scrape throughput gzip vs nginx",
    ratio(h.exporterGzip?.rps, h.nginxGzip?.rps),
    0.8,
    "×",
    ` (${rps(h.exporterGzip)} vs ${rps(h.nginxGzip)})`,
  );
  atLeast(
    "1c scrape throughput plain vs prom-client peer",
    ratio(h.exporterPlain?.rps, h.peerPlain?.rps),
    50,
    "×",
    ` (peer ${rps(h.peerPlain)})`,
  );
  atLeast(
    "1d scrape throughput gzip vs prom-client peer",
    ratio(h.exporterGzip?.rps, h.peerGzip?.rps),
    50,
    "×",
    ` (peer ${rps(h.peerGzip)})`,
  );
  atMost(
    "2a scrape p99 during a poll / idle p99",
    ratio(h.pollP99Ms, h.idleP99Ms),
    2,
    "×",
    ` (${fmt(h.pollP99Ms)} ms vs ${fmt(h.idleP99Ms)} ms)`,
  );
  atMost("2b event-loop delay p99 during a poll", h.delayP99Ms, 20, " ms", ` (max ${fmt(h.delayMaxMs)} ms)`);
  for (const cost of h.costs) {
    atMost(
      `3 poll wall time / lower bound, ${cost.source}`,
      ratio(cost.wallMs, cost.boundMs),
      1.25,
      "×",
      ` (${fmt(cost.wallMs, 0)} ms vs ${cost.boundMs} ms; ${fmt(ratio(cost.wallMs, cost.measuredBoundMs), 2)}× the bound at the round trip measured by the client)`,
    );
  }
  const perThousand = h.cpuPerPollMs / (h.jobs / 1000);
  atMost(
    "4a CPU per poll per 1,000 jobs",
    perThousand,
    20,
    " ms",
    ` (${fmt(h.cpuPerPollMs, 0)} ms for ${h.jobs} jobs)`,
  );
  if (scale.length > 1) {
    const per = scale.map((p) => p.cpuPerPollMs / ((p.jobsPerSource * 3) / 1000));
    const spread = Math.max(...per.map((v) => Math.abs(v / perThousand - 1)));
    rows.push({
      goal: "4b CPU per job, 1k..50k per source vs headline",
      measured: `±${fmt(spread * 100, 0)} % (${per.map((v, i) => `${scale[i]?.jobsPerSource}: ${fmt(v, 1)}`).join(", ")} ms/1k)`,
      target: "within ±25 %",
      pass: spread <= 0.25,
      miss: spread <= 0.25 ? undefined : `${fmt(spread * 100 - 25, 0)} points over`,
    });
  } else {
    rows.push({
      goal: "4b CPU per job, 1k..50k per source",
      measured: "not run (--quick / --no-scaling)",
      target: "within ±25 %",
      pass: undefined,
    });
  }
  atMost(
    "5a RSS vs prom-client peer",
    ratio(h.rssBytes, h.peerRssBytes),
    0.5,
    "×",
    ` (${fmt(h.rssBytes / MiB, 0)} MiB vs ${fmt((h.peerRssBytes ?? Number.NaN) / MiB, 0)} MiB${h.peerConcurrentRssBytes === undefined ? "" : ` serving one scrape at a time; ${fmt(h.peerConcurrentRssBytes / MiB, 0)} MiB under 16 concurrent scrapes`}; ${fmt(h.rssBytes / MiB / (h.jobs / 1000), 1)} MiB per 1,000 jobs)`,
  );
  const flat = soaked ?? h.flat;
  atMost(
    `5b RSS growth over ${flat.polls} polls, ${CHURN * 100} % churn each`,
    ((flat.toBytes - flat.fromBytes) / flat.fromBytes) * 100,
    5,
    " %",
    soaked
      ? ` (median RSS of polls ${soaked.fromPolls.join("-")} → ${soaked.toPolls.join("-")}: ${fmt(soaked.fromBytes / MiB, 0)} → ${fmt(soaked.toBytes / MiB, 0)} MiB; single readings at poll ${SOAK_FROM_POLL} and ${soaked.polls}: ${fmt(soaked.singleFromBytes / MiB, 0)} → ${fmt(soaked.singleToBytes / MiB, 0)} MiB, max ${fmt(soaked.maxBytes / MiB, 0)})`
      : ` (${fmt(flat.fromBytes / MiB, 0)} → ${fmt(flat.toBytes / MiB, 0)} MiB; 500 polls: --soak)`,
  );
  for (const cost of h.costs) {
    const needed = cost.pagesNeeded + cost.detailsNeeded;
    rows.push({
      goal: `6 API requests per poll, ${cost.source}`,
      measured: `${cost.requests} (pages ${cost.pagesNeeded} + details ${cost.detailsNeeded} = ${needed})`,
      target: `= pages + new-job details`,
      pass: cost.requests === needed && (cost.source !== "spark" || h.detailsRepeated === 0),
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

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const tools = ensureTools();
  if (!tools.wrk) log("wrk is not available: throughput figures will be n/a");
  if (!tools.nginx) log("nginx is not available: the ceiling will be n/a");
  build();

  const h = await headline(tools);
  const scale: ScalePoint[] = [];
  for (const n of SCALING) {
    if (n === JOBS) {
      scale.push({ jobsPerSource: n, cpuPerPollMs: h.cpuPerPollMs, rssBytes: h.rssBytes, ...h.cpuSplit });
      continue;
    }
    log(`scaling: ${n} jobs per source`);
    scale.push(await scalePoint(n));
  }
  const soaked = SOAK_POLLS === undefined ? undefined : await soak(SOAK_POLLS);

  const rows = buildRows(h, scale, soaked);
  const table = renderTable(rows);
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  const details = [
    `Scenario: ${JOBS} jobs per source (${h.jobs} jobs, ${h.series} series, body ${fmt(h.bodyBytes / MiB)} MiB, gzip ${fmt(h.gzipBytes / MiB, 2)} MiB), ${LATENCY_MS} ms per API request, page size ${PAGE_SIZE}, poll.concurrency ${CONCURRENCY}, ${CHURN * 100} % churn before each poll; wrk ${CONNECTIONS} connections × ${WRK_SECONDS} s.`,
    `Machine: ${machine()}. Run took ${Math.round((Date.now() - started) / 1000)} s.`,
    "",
    "| jobs per source | CPU per poll | CPU per 1,000 jobs (middle half of the polls) | main thread / other threads per 1,000 jobs | API requests per 1,000 jobs | RSS | RSS per 1,000 jobs |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...scale.map((p) => {
      const thousands = (p.jobsPerSource * 3) / 1000;
      const split =
        p.mainMs === undefined
          ? "n/a"
          : `${fmt(p.mainMs / thousands, 1)} / ${fmt((p.helpersMs ?? 0) / thousands, 1)} ms`;
      const requests = p.requests === undefined ? "n/a" : fmt(p.requests / thousands, 1);
      const spread = p.cpuQuartilesMs
        ? ` (${p.cpuQuartilesMs.map((ms) => fmt(ms / thousands, 1)).join("-")})`
        : "";
      return `| ${p.jobsPerSource} | ${fmt(p.cpuPerPollMs, 0)} ms | ${fmt(p.cpuPerPollMs / thousands, 1)} ms${spread} | ${split} | ${requests} | ${fmt(p.rssBytes / MiB, 0)} MiB | ${fmt(p.rssBytes / MiB / thousands, 1)} MiB |`;
    }),
    "",
    ...(soaked
      ? [
          `Memory over the ${soaked.polls}-poll run, every 50 polls (RSS; then, after a forced full collection, the V8 heap and array buffers, which hold the pooled text blocks):`,
          "",
          "| poll | RSS | heap after GC | array buffers |",
          "| --- | --- | --- | --- |",
          ...soaked.samples.map(
            (m) =>
              `| ${m.poll} | ${fmt(m.rssBytes / MiB, 0)} MiB | ${fmt(m.heapUsedAfterGcBytes / MiB, 0)} MiB | ${fmt(m.arrayBuffersBytes / MiB, 0)} MiB |`,
          ),
          "",
        ]
      : []),
    `CPU per poll: median of ${CPU_POLLS} polls after a warm-up of at least ${WARM_UP_POLLS} polls, on until the Spark details backlog of the first polls was worked off where that fits in ${MAX_WARM_UP_POLLS}: ${[...warmUpPolls].map(([jobs, polls]) => `${polls} at ${jobs} jobs per source`).join(", ")}.`,
    `Scrape latency samples: fixed rate 20/s gzip, ${h.latencySamples[0]} idle over ${IDLE_WINDOW_MS / 1000} s, ${h.latencySamples[1]} during ${LATENCY_POLLS} poll${LATENCY_POLLS === 1 ? "" : "s"}; failures ${h.scrapeFailures}. wrk errors: exporter ${h.exporterPlain?.errors ?? "n/a"}/${h.exporterGzip?.errors ?? "n/a"}, nginx ${h.nginxPlain?.errors ?? "n/a"}/${h.nginxGzip?.errors ?? "n/a"}, peer ${h.peerPlain?.errors ?? "n/a"}/${h.peerGzip?.errors ?? "n/a"}. Spark details calls repeated for a known job: ${h.detailsRepeated}.${h.peerSequential ? " The peer was measured with one connection: with 16 its interleaved renders finished no scrape within the run." : ""}`,
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
