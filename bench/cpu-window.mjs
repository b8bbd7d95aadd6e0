// Whole-process CPU of one unit of work, the way an operator's `top` or cgroup would count it:
// from just before the work starts until the process is idle again, every thread included,
// the process's idle rate subtracted. Shared by the exporter under test
// (bench/exporter-process.mjs) and the floor (bench/floor.mjs), so both are measured alike.
//
// The counter is process.cpuUsage(): getrusage(RUSAGE_SELF), user + system time of every
// thread of the process, those that exited included, at microsecond resolution (the same sum
// as utime + stime of /proc/<pid>/stat, which rounds to 10 ms ticks). Nothing is forced inside
// the window: a collection V8 starts there is counted, one it starts later is not.

import { readdirSync, readFileSync } from "node:fs";

/** Sampling step while waiting for idle, and the quiet window that says the process is idle. */
const STEP_MS = 20;
const QUIET_WINDOW_MS = 100;
/** CPU above the idle rate still taken as idle within a quiet window (the sampler's own wake-ups). */
const QUIET_SLACK_MS = 0.5;
/** Give up waiting for idle after this long past the work's end (the figure is then marked). */
const MAX_SETTLE_MS = 15_000;

export function cpuMs() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The idle window is cut into this many parts; the idle rate is the quietest part's. */
const IDLE_PARTS = 4;

/**
 * The process's CPU rate at rest (ms of CPU per ms of wall time), sampled with the same timer
 * as the settle loop so that the sampler's own cost is part of what is subtracted. The rate is
 * the lowest of IDLE_PARTS parts of the window: V8 may start a collection of the previous work's
 * garbage seconds after it (its memory reducer), and once that landed inside the window and made
 * the exporter's "idle" 11.5 % of a core instead of ~1 %, a third of each poll was subtracted.
 */
export async function measureIdleRate(windowMs) {
  // The work before (an unmeasured poll's compression, a collection) must be over first: wait
  // for a quiet window of at most 2 % of a core, up to MAX_SETTLE_MS.
  for (const end = performance.now() + MAX_SETTLE_MS; performance.now() < end; ) {
    const [t, c] = [performance.now(), cpuMs()];
    await sleep(QUIET_WINDOW_MS);
    if (cpuMs() - c <= 0.02 * (performance.now() - t)) break;
  }
  let lowest = Number.POSITIVE_INFINITY;
  for (let part = 0; part < IDLE_PARTS; part++) {
    const wall0 = performance.now();
    const cpu0 = cpuMs();
    const end = wall0 + windowMs / IDLE_PARTS;
    while (performance.now() < end) await sleep(STEP_MS);
    lowest = Math.min(lowest, (cpuMs() - cpu0) / (performance.now() - wall0));
  }
  return lowest;
}

/** CPU time (ms) per thread of this process, from /proc (10 ms ticks); {} elsewhere. */
export function threadCpuMs() {
  const out = {};
  try {
    const tick = 10; // USER_HZ 100
    for (const tid of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // The main thread's id is the process id; the others are V8's and libuv's helpers.
      const name = Number(tid) === process.pid ? "main" : "helpers";
      out[name] = (out[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) * tick;
    }
  } catch {
    // not Linux
  }
  return out;
}

/**
 * Runs `work` and measures it: CPU from just before it starts until a quiet window of
 * QUIET_WINDOW_MS used no more than the idle rate (plus a little slack), minus
 * idleRate × the whole span. Returns the work's result with the figures. `settle: false` ends
 * the window at the work's end (polls during a scrape load, which never lets the process idle).
 */
export async function measureWindow(work, idleRate, { settle = true } = {}) {
  const threadsBefore = threadCpuMs();
  const usageBefore = process.cpuUsage();
  const wall0 = performance.now();
  const cpu0 = cpuMs();
  const result = await work();
  const workEnd = performance.now();
  // Samples (wall, cpu) from the work's end on; idle once the last QUIET_WINDOW_MS was quiet.
  const samples = [[workEnd, cpuMs()]];
  let settled = false;
  while (settle && performance.now() - workEnd < MAX_SETTLE_MS) {
    await sleep(STEP_MS);
    const now = [performance.now(), cpuMs()];
    samples.push(now);
    let i = samples.length - 1;
    while (i > 0 && now[0] - samples[i][0] < QUIET_WINDOW_MS) i--;
    const [t, c] = samples[i];
    if (now[0] - t >= QUIET_WINDOW_MS && now[1] - c <= idleRate * (now[0] - t) + QUIET_SLACK_MS) {
      settled = true;
      break;
    }
  }
  const [wallEnd, cpuEnd] = samples[samples.length - 1];
  const usage = process.cpuUsage(usageBefore);
  const threadsAfter = threadCpuMs();
  const threads = {};
  for (const [name, ms] of Object.entries(threadsAfter)) threads[name] = ms - (threadsBefore[name] ?? 0);
  const spanMs = wallEnd - wall0;
  const rawCpuMs = cpuEnd - cpu0;
  return {
    result,
    figures: {
      /** Whole-process CPU of the work, idle subtracted. */
      cpuMs: rawCpuMs - idleRate * spanMs,
      rawCpuMs,
      idleMs: idleRate * spanMs,
      cpuUserMs: usage.user / 1000,
      cpuSystemMs: usage.system / 1000,
      /** From the start to the work's end (the poll's promise). */
      wallMs: workEnd - wall0,
      /** From the work's end until idle again (the quiet window included). */
      settleMs: wallEnd - workEnd,
      settled,
      threads,
      rssBytes: process.memoryUsage().rss,
    },
  };
}
