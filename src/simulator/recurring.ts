// Recurring named runs for the demo: a few Spark pipelines and DataArts batch jobs on daily,
// hourly and quarter-hourly schedules, so the Pipelines dashboard and the pipeline alerts have
// something to show: one always healthy, one failing in streaks, one sometimes slow, one always
// failing (failing and overdue), and a quick one too short to judge. Runs follow world time; the
// last 26 hours are there from the start. Each run's id is derived from its schedule and number,
// so the same world time always gives the same runs.

import { createHash } from "node:crypto";
import type { Simulator } from "./index.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** History made at start and kept up to date: a little more than Spark's default 24 h lookback. */
const WINDOW_MS = 26 * HOUR;

interface Schedule {
  name: string;
  periodMs: number;
  /** Start of run n is n * periodMs + offsetMs (epoch ms). */
  offsetMs: number;
  /** How long run n takes. */
  runMs(n: number): number;
  fails(n: number): boolean;
}

export const SPARK_SCHEDULES: readonly Schedule[] = [
  {
    name: "daily-sales-report",
    periodMs: DAY,
    offsetMs: 2 * HOUR,
    runMs: () => 20 * MINUTE,
    fails: () => false,
  },
  // Three failures in a row every ten runs.
  {
    name: "hourly-ingest-orders",
    periodMs: HOUR,
    offsetMs: 5 * MINUTE,
    runMs: () => 6 * MINUTE,
    fails: (n) => n % 10 >= 7,
  },
  // Every eighth run takes four times as long as usual.
  {
    name: "hourly-compaction",
    periodMs: HOUR,
    offsetMs: 20 * MINUTE,
    runMs: (n) => (n % 8 === 0 ? 50 : 12) * MINUTE,
    fails: () => false,
  },
  { name: "daily-legacy-export", periodMs: DAY, offsetMs: HOUR, runMs: () => 15 * MINUTE, fails: () => true },
  {
    name: "quarter-hourly-sync",
    periodMs: 15 * MINUTE,
    offsetMs: 0,
    runMs: () => 2 * MINUTE,
    fails: () => false,
  },
];

export const DATAARTS_SCHEDULES: readonly Schedule[] = [
  { name: "dwh-daily-load", periodMs: DAY, offsetMs: 3 * HOUR, runMs: () => 40 * MINUTE, fails: () => false },
  {
    name: "hourly-kpi-refresh",
    periodMs: HOUR,
    offsetMs: 10 * MINUTE,
    runMs: () => 4 * MINUTE,
    fails: (n) => n % 6 >= 4,
  },
];

/** When the recurring DataArts jobs were created (their first-seen time). */
const RECURRING_CREATED_MS = Date.UTC(2026, 0, 1);

/** What a run looks like at `now`: running, or finished with its outcome. */
export function runAt(schedule: Schedule, n: number, now: number) {
  const start = n * schedule.periodMs + schedule.offsetMs;
  const end = start + schedule.runMs(n);
  if (now < end) return { start, end, state: "running" as const };
  return { start, end, state: schedule.fails(n) ? ("dead" as const) : ("success" as const) };
}

/** Numbers of the runs started within the window ending at `now`. */
function runsInWindow(schedule: Schedule, now: number): number[] {
  const last = Math.floor((now - schedule.offsetMs) / schedule.periodMs);
  const first = Math.ceil((now - WINDOW_MS - schedule.offsetMs) / schedule.periodMs);
  const out: number[] = [];
  for (let n = Math.max(first, 0); n <= last; n++) out.push(n);
  return out;
}

function runId(name: string, n: number): string {
  const hex = createHash("sha256").update(`${name}#${n}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Brings the recurring runs of `sim` up to its world time; returns what it changed. */
export function stepRecurringRuns(sim: Simulator, seen: Map<string, string>, workspace: string): number {
  const now = sim.now();
  let changed = 0;
  for (const schedule of SPARK_SCHEDULES) {
    for (const n of runsInWindow(schedule, now)) {
      const id = runId(schedule.name, n);
      const run = runAt(schedule, n, now);
      if (seen.get(id) === run.state && run.state !== "running") continue;
      seen.set(id, run.state);
      changed++;
      sim.spark.upsert({
        id,
        name: schedule.name,
        state: run.state,
        queue: "q-batch",
        cluster_name: "q-batch",
        owner: "scheduler",
        proxyUser: "scheduler",
        create_time: run.start,
        update_time: run.state === "running" ? now : run.end,
        duration: (run.state === "running" ? now : run.end) - run.start,
      });
    }
  }
  for (const schedule of DATAARTS_SCHEDULES) {
    const runs = runsInWindow(schedule, now);
    const n = runs[runs.length - 1];
    if (n === undefined) continue;
    const current = runAt(schedule, n, now);
    // The list shows the last instance only: the one running, else the one that ended last.
    const shown = current.state === "running" && runs.length > 1 ? runAt(schedule, n - 1, now) : current;
    const key = `${schedule.name}#${n}#${current.state}`;
    if (seen.has(key)) continue;
    seen.set(key, current.state);
    changed++;
    sim.dataarts.upsert(workspace, {
      name: schedule.name,
      jobType: "BATCH",
      status: "SCHEDULING",
      owner: "scheduler",
      path: "/recurring",
      priority: 0,
      createTime: RECURRING_CREATED_MS,
      lastInstanceStatus:
        current.state === "running" ? "RUNNING" : current.state === "dead" ? "FAIL" : "SUCCESS",
      lastInstanceEndTime: current.state === "running" ? shown.end : current.end,
    });
  }
  // Forget runs that left the window.
  if (seen.size > 2000) seen.clear();
  return changed;
}

/** Keeps the recurring runs moving with the world; the returned function stops it. */
export function startRecurringRuns(sim: Simulator, workspace: string, everyMs = 1000): () => void {
  const seen = new Map<string, string>();
  stepRecurringRuns(sim, seen, workspace);
  const timer = setInterval(() => stepRecurringRuns(sim, seen, workspace), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
