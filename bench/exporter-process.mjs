// The exporter under test, in a process of its own: the same startExporter() that dist/main.js
// runs, with polls driven by the benchmark over the IPC channel instead of the cron schedule, so
// every measurement window starts and ends exactly around one poll. What it measures of itself
// (whole-process CPU from the poll's start until idle again, bench/cpu-window.mjs; event-loop
// delay by perf_hooks; memory) lives here, outside the exporter's code: the product carries
// nothing for the benchmark.
//
// Plain JavaScript on purpose: it runs on `node` alone, like the shipped exporter, with no
// loader in the process to add to its memory.
//
//   node bench/exporter-process.mjs '<config JSON, YAML-shaped>'   (spawned with an IPC channel)

import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { buildConfig } from "../dist/config/load.js";
import { createLogger } from "../dist/logger.js";
import { startExporter } from "../dist/runtime/exporter.js";
import { cpuMs, measureIdleRate, measureWindow } from "./cpu-window.mjs";
import { serveCalls } from "./ipc-child.mjs";

const raw = JSON.parse(process.argv[2] ?? "{}");
const config = buildConfig(raw, {});
const exporter = await startExporter({ config, logger: createLogger("warn") });
await exporter.firstPolls;

// Sampled every millisecond, but only between resetDelay and delay (the latency poll): a
// timer waking the process a thousand times a second costs CPU that the CPU-per-poll figures
// must not carry (the exporter's own loop-lag metric samples every 10 ms and is measured).
const delay = monitorEventLoopDelay({ resolution: 1 });

function delayFigures() {
  return {
    p50: delay.percentile(50) / 1e6,
    p99: delay.percentile(99) / 1e6,
    max: delay.max / 1e6,
  };
}

/** Sum and count of API request durations per source, from the exporter's own histogram. */
async function requestTimes() {
  const metric = exporter.selfMetrics.registry.getSingleMetric(
    "huaweicloud_job_exporter_api_request_duration_seconds",
  );
  const times = {};
  for (const v of (await metric.get()).values) {
    const source = v.labels.source;
    times[source] ??= { sum: 0, count: 0 };
    if (v.metricName.endsWith("_sum")) times[source].sum += v.value;
    if (v.metricName.endsWith("_count")) times[source].count += v.value;
  }
  return times;
}

/** This process's idle rate (CPU ms per wall ms), measured by the `idle` command. */
let idleRate = 0;

/**
 * One poll of every source at once, measured from just before it starts until the process is
 * idle again (published, compressed, collected): see bench/cpu-window.mjs.
 */
async function pollOnce({ settle = true } = {}) {
  const timesBefore = await requestTimes();
  const { figures } = await measureWindow(
    () => Promise.all(exporter.pollers.map((poller) => poller.poll())),
    idleRate,
    { settle },
  );
  const timesAfter = await requestTimes();
  const meanRequestMs = {};
  for (const [source, after] of Object.entries(timesAfter)) {
    const before = timesBefore[source] ?? { sum: 0, count: 0 };
    const count = after.count - before.count;
    meanRequestMs[source] = count > 0 ? ((after.sum - before.sum) / count) * 1000 : undefined;
  }
  return {
    ...figures,
    idleRate,
    meanRequestMs,
    sources: exporter.pollers.map((p) => ({
      source: p.status.source,
      result: p.status.lastResult,
      seconds: p.status.lastDurationSeconds,
      jobs: p.status.jobs,
      pages: p.status.pages,
      requests: p.status.requests,
      error: p.status.lastError?.message,
    })),
  };
}

// A CPU profile of chosen polls only (bench/profile.ts), without the start-up and first poll.
let session;
async function profileStart(kind) {
  session = new Session();
  session.connect();
  if (kind === "heap" || kind === "heap-promoted") {
    // Allocations sampled every 32 KiB, kept also where collected since: where garbage comes
    // from. "heap-promoted" leaves out what a scavenge collected: what full collections free.
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 32768,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: kind === "heap",
    });
    return {};
  }
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return {};
}
async function profileStop(file) {
  const { profile } = file.endsWith(".heapprofile")
    ? await session.post("HeapProfiler.stopSampling")
    : await session.post("Profiler.stop");
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
  return {};
}

/** A heap snapshot after a full collection, written to `file` (bench/profile.ts --heap-snapshot). */
async function heapSnapshot(file) {
  globalThis.gc?.();
  const snapshot = new Session();
  snapshot.connect();
  const chunks = [];
  snapshot.on("HeapProfiler.addHeapSnapshotChunk", (m) => chunks.push(m.params.chunk));
  await snapshot.post("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  snapshot.disconnect();
  writeFileSync(file, chunks.join(""));
  return {};
}

const handlers = {
  heapSnapshot: (file) => heapSnapshot(file),
  profileStart: (kind) => profileStart(kind),
  profileStop: (arg) => profileStop(arg),
  poll: (arg) => pollOnce(arg),
  // The idle rate over a quiet window (no poll, no scrape), subtracted from every poll after.
  idle: async (ms) => {
    idleRate = await measureIdleRate(ms ?? 2000);
    return { idleRate };
  },
  resetDelay: () => {
    delay.disable();
    delay.reset();
    delay.enable();
    return {};
  },
  delay: () => {
    const figures = delayFigures();
    delay.disable();
    return figures;
  },
  // RSS as it is, then the heap after a full collection and the piece-block pool: what the
  // memory is made of, for the long memory run.
  memory: () => {
    const rssBytes = process.memoryUsage().rss;
    globalThis.gc?.();
    const after = process.memoryUsage();
    return {
      rssBytes,
      heapUsedAfterGcBytes: after.heapUsed,
      externalBytes: after.external,
      arrayBuffersBytes: after.arrayBuffers,
    };
  },
  usage: () => ({
    cpuMs: cpuMs(),
    idleRate,
    rssBytes: process.memoryUsage().rss,
    heap: process.memoryUsage(),
  }),
};

serveCalls(handlers, () => exporter.stop(), { url: exporter.url });
