// Profiles the exporter under test: the simulator and bench/exporter-process.mjs as in
// `npm run bench`, a few polls with 5 % churn before each, CPU per poll printed, and with
// `--cpu-prof-dir DIR` a V8 CPU profile of the exporter's measured polls (after one more
// unprofiled poll past the first) written there (open it in Chrome
// DevTools or read its self times with `tsx bench/profile-top.ts FILE`).
//
//   npm run build && tsx bench/profile.ts --jobs 10000 --polls 3 [--warm-up 1] [--cpu-prof-dir /tmp/prof]

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import {
  benchExporterConfig,
  ROOT,
  type SimulatorBanner,
  simulatorArgs,
  spawnBenchExporter,
  TSX,
  type World,
} from "./launch.js";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "10000" },
    polls: { type: "string", default: "3" },
    // At 1,000 jobs per source a new exporter works off its Spark details backlog for ~27
    // polls (see docs/performance.md): warm up past it to profile the steady state.
    "warm-up": { type: "string", default: "1" },
    // The 1 ms event-loop sampler wakes an idle process a thousand times a second: at 1,000
    // jobs per source that is a third of a poll's CPU, so it runs only when asked for.
    "loop-delay": { type: "boolean", default: false },
    latency: { type: "string", default: "50" },
    // Share of each source's jobs changed before every poll; 0 profiles polls that change nothing.
    churn: { type: "string", default: "0.05" },
    // The benchmark's world (bench/launch.ts): the simulator's own records or the heavy ones.
    world: { type: "string", default: "simulator" },
    // Spark runs share this many names (see bench/simulator-server.ts); default: a name per run.
    "spark-pipelines": { type: "string" },
    "cpu-prof-dir": { type: "string" },
    "heap-prof-dir": { type: "string" },
    // With --heap-prof-dir: only allocations that outlived a scavenge (promoted to the old
    // generation, where only a full collection frees them).
    "heap-prof-promoted": { type: "boolean", default: false },
    "heap-snapshot": { type: "string" },
  },
});
const jobs = Number(values.jobs);

async function firstLine(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await once(lines, "line")) as [string];
  return line;
}

const pipelinesArgs = values["spark-pipelines"] ? ["--spark-pipelines", values["spark-pipelines"]] : [];
const sim = spawn(
  TSX,
  [...simulatorArgs(jobs, Number(values.latency), values.world as World), ...pipelinesArgs],
  {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const banner = JSON.parse(await firstLine(sim)) as SimulatorBanner;
const exporter = spawnBenchExporter(benchExporterConfig(banner));
await once(exporter, "message");
let nextId = 1;
function call<T>(cmd: string, arg?: unknown): Promise<T> {
  const id = nextId++;
  return new Promise((res, rej) => {
    const onMessage = (m: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (m.id !== id) return;
      exporter.off("message", onMessage);
      if (m.ok) res(m.result as T);
      else rej(new Error(m.error));
    };
    exporter.on("message", onMessage);
    exporter.send({ id, cmd, arg });
  });
}
const profileDir = values["cpu-prof-dir"] ?? values["heap-prof-dir"];
const profileKind = values["heap-prof-dir"] ? "heap" : "cpu";
try {
  // Unprofiled polls first: the steady state is what a profile should show.
  for (let i = 0; i < Number(values["warm-up"]); i++) {
    await fetch(`${banner.control}/__bench/churn`, {
      method: "POST",
      body: JSON.stringify({ fraction: Number(values.churn) }),
    });
    // Unmeasured, before the idle rate is known: no waiting for idle.
    await call("poll", { settle: false });
  }
  // Each poll is measured until the process is idle again, its idle rate subtracted.
  await call("idle");
  if (profileDir)
    await call(
      "profileStart",
      profileKind === "heap" && values["heap-prof-promoted"] ? "heap-promoted" : profileKind,
    );
  for (let i = 0; i < Number(values.polls); i++) {
    await fetch(`${banner.control}/__bench/churn`, {
      method: "POST",
      body: JSON.stringify({ fraction: Number(values.churn) }),
    });
    if (values["loop-delay"]) await call("resetDelay");
    const poll = await call<{
      wallMs: number;
      cpuMs: number;
      cpuUserMs: number;
      cpuSystemMs: number;
      threads: Record<string, number>;
      sources: Array<{ source: string; seconds: number }>;
    }>("poll");
    const delay = values["loop-delay"]
      ? await call<{ p99: number; max: number }>("delay")
      : { p99: Number.NaN, max: Number.NaN };
    const usage = await call<{
      rssBytes: number;
      heap: { heapUsed: number; external: number; arrayBuffers: number };
    }>("usage");
    const threads = Object.entries(poll.threads)
      .filter(([, ms]) => ms > 0)
      .map(([name, ms]) => `${name} ${ms}`)
      .join(", ");
    process.stdout.write(`  threads (ms, 10 ms ticks): ${threads}\n`);
    process.stdout.write(
      `poll ${i + 1}: cpu ${poll.cpuMs.toFixed(0)} ms (user ${poll.cpuUserMs.toFixed(0)}, system ${poll.cpuSystemMs.toFixed(0)}; ${(poll.cpuMs / ((3 * jobs) / 1000)).toFixed(1)} ms per 1k jobs), wall ${poll.wallMs.toFixed(0)} ms [${poll.sources.map((s) => `${s.source} ${(s.seconds * 1000).toFixed(0)}`).join(", ")}], loop p99 ${delay.p99.toFixed(1)} ms max ${delay.max.toFixed(1)}, rss ${(usage.rssBytes / 2 ** 20).toFixed(0)} MiB (heap ${(usage.heap.heapUsed / 2 ** 20).toFixed(0)}, buffers ${(usage.heap.arrayBuffers / 2 ** 20).toFixed(0)})\n`,
    );
  }
  const memory = await call<{
    heapUsedAfterGcBytes: number;
    arrayBuffersBytes: number;
  }>("memory");
  process.stdout.write(
    `after a full collection: heap ${(memory.heapUsedAfterGcBytes / 2 ** 20).toFixed(0)} MiB, array buffers ${(memory.arrayBuffersBytes / 2 ** 20).toFixed(0)} MiB\n`,
  );
  if (values["heap-snapshot"]) {
    await call("heapSnapshot", resolve(values["heap-snapshot"]));
    process.stdout.write(`heap snapshot: ${values["heap-snapshot"]}\n`);
  }
  if (profileDir) {
    const file = join(
      resolve(profileDir),
      `exporter-${Date.now()}.${profileKind === "heap" ? "heapprofile" : "cpuprofile"}`,
    );
    await call("profileStop", file);
    process.stdout.write(`profile: ${file}\n`);
  }
} finally {
  exporter.disconnect();
  await once(exporter, "exit");
  sim.kill("SIGTERM");
  await once(sim, "exit");
}
