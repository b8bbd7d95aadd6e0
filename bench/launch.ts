// The two processes every benchmark script starts the same way: the simulator of a given size
// (bench/simulator-server.ts, which prints one JSON banner line) and the exporter under test
// (bench/exporter-process.mjs, driven over IPC), configured as a user would.

import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const TSX = join(ROOT, "node_modules", ".bin", "tsx");

/** What bench/simulator-server.ts prints once it listens. */
export interface SimulatorBanner {
  url: string;
  control: string;
  projectId: string;
  accessKey: string;
  secretKey: string;
  workspaces: string[];
}

/** The settings a user would run with; the lower bounds of the poll-time goal use them too. */
export const BENCH_POLL = { concurrency: 4, pageSize: 100, detailsPerPoll: 50 } as const;

/** The benchmark's worlds: the simulator's own records, and heavier records of static jobs. */
export type World = "simulator" | "heavy";

/** Arguments of bench/simulator-server.ts for `jobs` per source and `latencyMs` per answer. */
export function simulatorArgs(jobs: number, latencyMs: number, world: World = "simulator"): string[] {
  const n = String(jobs);
  return [
    "bench/simulator-server.ts",
    "--spark",
    n,
    "--flink",
    n,
    "--dataarts",
    n,
    "--latency",
    String(latencyMs),
    "--world",
    world,
  ];
}

/** One target on the simulator; the cron schedule is off because the benchmark starts polls. */
export function benchExporterConfig(sim: SimulatorBanner): Record<string, unknown> {
  return {
    server: { listen_address: "127.0.0.1:0" },
    poll: {
      schedule: "0 0 0 1 1 *",
      request_timeout: "30s",
      page_size: BENCH_POLL.pageSize,
      concurrency: BENCH_POLL.concurrency,
      stale_after: "24h",
    },
    targets: [
      {
        name: "bench",
        region: "cn-north-4",
        project_id: sim.projectId,
        auth: { access_key: sim.accessKey, secret_key: sim.secretKey },
        endpoints: { dli: sim.url, dataarts: sim.url },
        spark: { details_per_poll: BENCH_POLL.detailsPerPoll },
        dataarts: { workspaces: sim.workspaces },
      },
    ],
  };
}

/** The exporter under test in its own process, with an IPC channel for the benchmark's calls. */
export function spawnBenchExporter(config: Record<string, unknown>): ChildProcess {
  return spawn(
    process.execPath,
    [
      // BENCH_EXPORTER_NODE_ARGS: e.g. "--cpu-prof" to profile the exporter under test.
      ...(process.env.BENCH_EXPORTER_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
      "--expose-gc",
      "bench/exporter-process.mjs",
      JSON.stringify(config),
    ],
    { cwd: ROOT, stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
}
